"""The cost ledger: what the game runs behind a combined dataset cost, and what tuning on it did.

Compute is an estimate (CPU seconds measured in each clip step, at an assumed price per
vCPU-second); storage is the bytes the clip steps wrote (at an assumed price per GB-month);
the tuning job's billable tokens and cost are Vertex AI's own figures, when a tuning job has
reported them. The prices below are assumptions, labelled so wherever they are shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from basketball_assets.core.ids import shown_id
from basketball_assets.core.report import markdown_table

#: Assumed: Cloud Run's published CPU price, USD per vCPU-second (tier 1, request-based
#: billing); check https://cloud.google.com/run/pricing for today's figure and your region.
CLOUD_RUN_USD_PER_VCPU_SECOND = 0.000024
#: Assumed: Cloud Storage's published Standard storage price, USD per GB-month (a single
#: region such as us-central1); check https://cloud.google.com/storage/pricing.
GCS_STANDARD_USD_PER_GB_MONTH = 0.020
GB = 10**9


@dataclass(frozen=True)
class Prices:
    """The prices the ledger assumes (not quoted: config values of ``combined_dataset``)."""

    usd_per_vcpu_second: float = CLOUD_RUN_USD_PER_VCPU_SECOND
    usd_per_gb_month: float = GCS_STANDARD_USD_PER_GB_MONTH


@dataclass(frozen=True)
class GameCost:
    """One game's clip steps, every run summed: CPU seconds spent and bytes written."""

    game_id: str
    runs: int
    cpu_seconds: float
    bytes_written: int

    def compute_usd(self, prices: Prices) -> float:
        return self.cpu_seconds * prices.usd_per_vcpu_second


@dataclass(frozen=True)
class TuningCost:
    """A tuning job's actual figures, as ``tuned_model`` recorded them."""

    billable_tokens: int
    cost_usd: float


@dataclass
class CostLedger:
    """The games' compute and storage, and the latest tuning job's actual cost, summed."""

    prices: Prices
    games: list[GameCost] = field(default_factory=list)
    tuning: TuningCost | None = None

    @property
    def cpu_seconds(self) -> float:
        return sum(game.cpu_seconds for game in self.games)

    @property
    def compute_usd(self) -> float:
        return self.cpu_seconds * self.prices.usd_per_vcpu_second

    @property
    def bytes_written(self) -> int:
        return sum(game.bytes_written for game in self.games)

    @property
    def storage_usd_per_month(self) -> float:
        return self.bytes_written / GB * self.prices.usd_per_gb_month

    @property
    def total_usd(self) -> float:
        """Compute, one month of storage, and the tuning job when there is one."""
        return self.compute_usd + self.storage_usd_per_month + (self.tuning.cost_usd if self.tuning else 0.0)

    def metadata(self) -> dict[str, float | int]:
        """Plain numbers for the asset's metadata (plotted across materializations)."""
        numbers: dict[str, float | int] = {
            "ledger_cpu_seconds": round(self.cpu_seconds, 3),
            "ledger_compute_usd_estimate": round(self.compute_usd, 6),
            "ledger_bytes_written": self.bytes_written,
            "ledger_storage_usd_per_month_estimate": round(self.storage_usd_per_month, 6),
            "ledger_total_usd": round(self.total_usd, 6),
        }
        if self.tuning:
            numbers["ledger_tuning_billable_tokens"] = self.tuning.billable_tokens
            numbers["ledger_tuning_cost_usd"] = round(self.tuning.cost_usd, 6)
        return numbers

    def markdown(self, top: int = 10) -> str:
        """The ledger as a section of the dataset card."""
        p = self.prices
        lines = ["## Cost ledger", ""]
        lines.append(
            f"Game runs: {self.cpu_seconds:,.1f} CPU seconds = **{self.compute_usd:,.4f} USD** of compute "
            f"(estimate); {self.bytes_written / GB:,.3f} GB of clips written = **{self.storage_usd_per_month:,.4f} "
            "USD per month** of storage (estimate)."
        )
        if self.tuning:
            lines.append(
                f"\nLatest tuning job (actual, from `tuned_model`): {self.tuning.billable_tokens:,} billable tokens, "
                f"**{self.tuning.cost_usd:,.2f} USD**."
            )
        else:
            lines.append("\nNo tuning job has reported its billable tokens and cost yet.")
        lines.append(f"\nTotal: **{self.total_usd:,.4f} USD**.")
        lines.append(
            f"\nAssumed, not quoted: {p.usd_per_vcpu_second:g} USD per vCPU-second (Cloud Run's published price) and "
            f"{p.usd_per_gb_month:g} USD per GB-month (Cloud Storage Standard); config values of `combined_dataset` "
            "(`usd_per_vcpu_second`, `usd_per_gb_month`). CPU seconds are those every clip step of the games spent."
        )
        costly = sorted(self.games, key=lambda game: (-game.cpu_seconds, game.game_id))[:top]
        rows = (
            (shown_id(g.game_id), g.runs, f"{g.cpu_seconds:.1f}", f"{g.compute_usd(p):.4f}", g.bytes_written)
            for g in costly
        )
        lines += ["", markdown_table(["game", "clip runs", "CPU s", "compute USD", "bytes written"], rows)]
        return "\n".join(lines) + "\n"


def game_costs(runs: Iterable[tuple[str, float, int]]) -> list[GameCost]:
    """Per game, the sum of its clip runs' ``(game_id, cpu_seconds, bytes_written)``, in game id order."""
    totals: dict[str, tuple[int, float, int]] = {}
    for game_id, cpu_seconds, bytes_written in runs:
        count, cpu, written = totals.get(game_id, (0, 0.0, 0))
        totals[game_id] = (count + 1, cpu + cpu_seconds, written + bytes_written)
    return [GameCost(game_id, *totals[game_id]) for game_id in sorted(totals)]
