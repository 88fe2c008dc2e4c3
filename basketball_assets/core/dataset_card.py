"""The dataset card: what a combined dataset holds, and what tuning on it would cost.

Statistics are gathered one example at a time while the combined files stream through
(:meth:`DatasetCard.add_example`), so the card needs memory for counters and fixed
histogram bins only, however many games there are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from basketball_assets.core.examples import PROMPT
from basketball_assets.core.plays import CAMERA_ANGLES, Rejection
from basketball_assets.core.report import markdown_table

#: Rejection reasons, grouped by what went wrong: (a phrase the reason contains, the group).
#: The phrases are those of :mod:`basketball_assets.core.validation`,
#: :mod:`basketball_assets.core.timeline` and the clip step's messages.
REJECTION_KINDS: tuple[tuple[str, str], ...] = (
    ("crosses the end of half 1", "span crosses the end of half 1"),
    ("after the end of the", "ends after the video"),
    ("cannot be read", "video missing or unreadable"),
    ("video was not read", "video missing or unreadable"),
    ("negative time", "negative time"),
    ("is not after start_time", "ends before it starts"),
    ("unknown angle", "unknown angle"),
    ("empty description", "empty description"),
    ("must be numbers of seconds", "times are not numbers"),
    ("half must be", "invalid half"),
    ("ffmpeg", "ffmpeg could not cut the clip"),
)

#: Histogram bin edges: clip sizes in bytes, description lengths in characters, clip seconds.
SIZE_EDGES = (256 * 1024, 1024**2, 4 * 1024**2, 16 * 1024**2, 64 * 1024**2)
DESCRIPTION_EDGES = (50, 100, 200, 400, 800)
SECONDS_EDGES = (2, 5, 10, 20, 60)


def dataset_card_key(timestamp: str) -> str:
    """The card's Markdown file, next to the combined JSONL of the same run."""
    return f"cumulative-execution-{timestamp}/dataset_card.md"


def rejection_kind(reason: str) -> str:
    """The group a rejection reason belongs to, e.g. ``ends after the video``."""
    for phrase, kind in REJECTION_KINDS:
        if phrase in reason:
            return kind
    return "other: " + reason.split(":")[0][:60]


@dataclass
class Distribution:
    """Count, total, min, max and a histogram over fixed bin edges, updated one value at a time."""

    edges: tuple[float, ...]
    bins: list[int] = field(default_factory=list)
    count: int = 0
    total: float = 0.0
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        self.bins = self.bins or [0] * (len(self.edges) + 1)

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.low = value if self.low is None else min(self.low, value)
        self.high = value if self.high is None else max(self.high, value)
        self.bins[sum(value >= edge for edge in self.edges)] += 1

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def rows(self, unit: Any) -> list[tuple[str, int]]:
        """``(bin label, count)`` for each bin, labelled with ``unit(edge)`` texts."""
        names = [unit(edge) for edge in self.edges]
        labels = [f"< {names[0]}"] + [f"{a} – {b}" for a, b in pairwise(names)] + [f"≥ {names[-1]}"]
        return list(zip(labels, self.bins, strict=True))


def size_text(size: float) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size:.0f} B"


#: Assumed tokens per second of clip: about 263 for video frames plus 32 for audio (the Gemini
#: docs' figures at the default media resolution); shared by the cost estimate and the limits check.
DEFAULT_TOKENS_PER_CLIP_SECOND = 295.0
#: Assumed characters per text token (the Gemini docs: "about 4 characters").
DEFAULT_CHARACTERS_PER_TOKEN = 4.0


@dataclass(frozen=True)
class CostAssumptions:
    """What the tuning cost estimate assumes; every figure is a config value of the card."""

    epochs: int
    price_per_million_tokens: float
    tokens_per_clip_second: float
    characters_per_token: float
    base_model: str
    currency: str = "USD"


@dataclass(frozen=True)
class CostEstimate:
    training_examples: int
    tokens_per_epoch: int
    epochs: int
    price_per_million_tokens: float
    currency: str

    @property
    def training_tokens(self) -> int:
        return self.tokens_per_epoch * self.epochs

    @property
    def cost(self) -> float:
        return self.training_tokens / 1_000_000 * self.price_per_million_tokens

    @property
    def tokens_per_example(self) -> float:
        return self.tokens_per_epoch / self.training_examples if self.training_examples else 0.0


def estimated_tokens(
    clip_seconds: float, text_characters: int, tokens_per_clip_second: float, characters_per_token: float
) -> float:
    """Estimated tokens of one example: its seconds of clip and its characters of text."""
    return clip_seconds * tokens_per_clip_second + text_characters / characters_per_token


def example_tokens(clip_seconds: float, description: str, assumptions: CostAssumptions) -> float:
    """Estimated tokens of one example: the clip's seconds, the prompt and the answer."""
    text = len(PROMPT) + len(description)
    return estimated_tokens(clip_seconds, text, assumptions.tokens_per_clip_second, assumptions.characters_per_token)


@dataclass
class DatasetCard:
    """Statistics of a combined dataset, gathered while its lines stream through."""

    assumptions: CostAssumptions
    games: int = 0
    examples: Counter = field(default_factory=Counter)  # (split, angle) -> examples
    plays: Counter = field(default_factory=Counter)  # split -> distinct plays (counted on first clip)
    clip_seconds: Distribution = field(default_factory=lambda: Distribution(SECONDS_EDGES))
    clip_bytes: Distribution = field(default_factory=lambda: Distribution(SIZE_EDGES))
    description_chars: Distribution = field(default_factory=lambda: Distribution(DESCRIPTION_EDGES))
    tokens: Counter = field(default_factory=Counter)  # split -> estimated tokens of one epoch
    without_clip_facts: int = 0
    rejected_clips: Counter = field(default_factory=Counter)  # kind -> play-angle rejections
    rejected_play_counts: Counter = field(default_factory=Counter)  # kind -> plays

    def add_example(self, split: str, angle: str, description: str, seconds: float | None, size: int | None) -> None:
        """Count one example; ``seconds``/``size`` are ``None`` when its clip is unknown."""
        self.examples[(split, angle)] += 1
        self.description_chars.add(len(description))
        if seconds is None or size is None:
            self.without_clip_facts += 1
            seconds = 0.0
        else:
            self.clip_seconds.add(seconds)
            self.clip_bytes.add(size)
        self.tokens[split] += example_tokens(seconds, description, self.assumptions)

    def add_play(self, split: str) -> None:
        self.plays[split] += 1

    def add_game_rejections(self, rejections: Iterable[Rejection]) -> None:
        """One game's rejections: clips counted per angle, plays once per kind."""
        plays: dict[str, set[str]] = {}
        for rejection in rejections:
            kind = rejection_kind(rejection.reason)
            self.rejected_clips[kind] += 1
            plays.setdefault(kind, set()).add(rejection.play_id)
        for kind, ids in plays.items():
            self.rejected_play_counts[kind] += len(ids)

    def split_total(self, split: str) -> int:
        return sum(count for (s, _), count in self.examples.items() if s == split)

    def estimate(self) -> CostEstimate:
        """Tuning cost: training examples' tokens x epochs x the configured price."""
        return CostEstimate(
            training_examples=self.split_total("training"),
            tokens_per_epoch=round(self.tokens["training"]),
            epochs=self.assumptions.epochs,
            price_per_million_tokens=self.assumptions.price_per_million_tokens,
            currency=self.assumptions.currency,
        )

    def summary(self, splits: Sequence[str]) -> dict[str, Any]:
        """Plain numbers for the asset's metadata (plots in the UI)."""
        estimate = self.estimate()
        summary: dict[str, Any] = {f"{split}_examples": self.split_total(split) for split in splits}
        summary.update(
            {f"{split}_{angle}_examples": self.examples[(split, angle)] for split in splits for angle in CAMERA_ANGLES}
        )
        summary.update(
            {
                "clip_seconds_total": round(self.clip_seconds.total, 2),
                "clip_seconds_mean": round(self.clip_seconds.mean or 0.0, 2),
                "clip_bytes_total": int(self.clip_bytes.total),
                "description_chars_mean": round(self.description_chars.mean or 0.0, 1),
                "rejected_plays": sum(self.rejected_play_counts.values()),
                "estimated_training_tokens": estimate.training_tokens,
                f"estimated_tuning_cost_{estimate.currency.lower()}": round(estimate.cost, 2),
            }
        )
        return summary

    def markdown(self, title: str, splits: Sequence[str], files: dict[str, str]) -> str:
        """The card as Markdown: the file next to the combined JSONL, and the UI's metadata."""
        a = self.assumptions
        estimate = self.estimate()
        total = sum(self.examples.values())
        lines = [f"# {title}", ""]
        lines.append(
            f"{total} examples from {self.games} games: "
            + ", ".join(f"{self.split_total(s)} {s} ({self.plays[s]} plays)" for s in splits)
            + "."
        )
        lines += ["", "Files: " + ", ".join(f"{split} `{uri}`" for split, uri in files.items()), ""]
        lines += ["## Examples per split and angle", ""]
        lines.append(
            markdown_table(
                ["split", *CAMERA_ANGLES, "total"],
                [(s, *(self.examples[(s, angle)] for angle in CAMERA_ANGLES), self.split_total(s)) for s in splits],
            )
        )
        seconds = self.clip_seconds
        lines += ["", "## Clips", ""]
        lines.append(
            f"{seconds.total:.1f} s of video in {seconds.count} clips, {seconds.mean or 0:.2f} s on average "
            f"(shortest {seconds.low or 0:.2f} s, longest {seconds.high or 0:.2f} s); "
            f"{size_text(self.clip_bytes.total)} in all, {size_text(self.clip_bytes.mean or 0)} on average."
        )
        if self.without_clip_facts:
            lines.append(f"\n{self.without_clip_facts} examples point at clips the games' clip lists do not have.")
        lines += ["", markdown_table(["clip length", "clips"], seconds.rows(lambda e: f"{e:g} s"))]
        lines += ["", markdown_table(["clip size", "clips"], self.clip_bytes.rows(size_text))]
        chars = self.description_chars
        lines += ["", "## Descriptions", ""]
        lines.append(
            f"{chars.mean or 0:.0f} characters on average (shortest {chars.low or 0:.0f}, longest "
            f"{chars.high or 0:.0f})."
        )
        lines += ["", markdown_table(["description length", "examples"], chars.rows(lambda e: f"{e:g} chars"))]
        lines += ["", "## Rejected plays", ""]
        if self.rejected_clips:
            rows = [(kind, self.rejected_play_counts[kind], count) for kind, count in self.rejected_clips.most_common()]
            lines.append(markdown_table(["reason", "plays", "clips not cut"], rows))
            lines.append("\nEach game's reasons in full: the `no_rejected_plays` check of `game_clips`.")
        else:
            lines.append("None: every play of every included game got its clips.")
        lines += ["", "## Tuning cost estimate", ""]
        lines.append(
            f"{estimate.training_examples} training examples x {estimate.epochs} epochs x "
            f"{estimate.tokens_per_example:,.0f} tokens per example on average = "
            f"**{estimate.training_tokens:,} training tokens**, at {a.price_per_million_tokens:g} {a.currency} "
            f"per million tokens = **{estimate.cost:,.2f} {a.currency}** for {a.base_model}."
        )
        lines.append(
            f"\nAssumed, not quoted: {a.tokens_per_clip_second:g} tokens per second of clip, "
            f"{a.characters_per_token:g} characters per text token, and the price per million training tokens. "
            "Each is a config value of `combined_dataset` (`epochs`, `price_per_million_training_tokens`, "
            "`tokens_per_clip_second`, `characters_per_token`): check Vertex AI's current pricing for the base model "
            "and set them in the launchpad. Validation examples are not billed as training tokens and are not counted."
        )
        return "\n".join(lines) + "\n"
