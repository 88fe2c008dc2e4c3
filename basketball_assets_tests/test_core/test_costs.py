"""The cost ledger's arithmetic and its labelled assumptions."""

import pytest

from basketball_assets.core.costs import (
    CLOUD_RUN_USD_PER_VCPU_SECOND,
    CostLedger,
    GameCost,
    Prices,
    TuningCost,
    game_costs,
)


def test_game_runs_are_summed_per_game_in_game_id_order():
    costs = game_costs([("b", 10.0, 100), ("a", 1.5, 10), ("b", 5.0, 50)])
    assert [(c.game_id, c.runs, c.cpu_seconds, c.bytes_written) for c in costs] == [
        ("a", 1, 1.5, 10),
        ("b", 2, 15.0, 150),
    ]


def test_ledger_prices_compute_and_storage_and_adds_the_tuning_job():
    prices = Prices(usd_per_vcpu_second=0.001, usd_per_gb_month=2.0)
    ledger = CostLedger(prices, game_costs([("a", 1000.0, 500_000_000)]), TuningCost(1_200_000, 30.0))
    assert ledger.compute_usd == pytest.approx(1.0)
    assert ledger.storage_usd_per_month == pytest.approx(1.0)
    assert ledger.total_usd == pytest.approx(32.0)
    metadata = ledger.metadata()
    assert metadata["ledger_tuning_billable_tokens"] == 1_200_000
    assert metadata["ledger_tuning_cost_usd"] == 30.0
    assert metadata["ledger_total_usd"] == pytest.approx(32.0)


def test_ledger_without_a_tuning_job_says_so_and_labels_its_prices_as_assumed():
    ledger = CostLedger(Prices(), game_costs([("a", 100.0, 1000)]))
    assert "ledger_tuning_cost_usd" not in ledger.metadata()
    text = ledger.markdown()
    assert "No tuning job has reported" in text
    assert f"Assumed, not quoted: {CLOUD_RUN_USD_PER_VCPU_SECOND:g} USD per vCPU-second" in text
    assert "| a | 1 | 100.0 |" in text


def test_the_ledger_section_reads_in_full():
    prices = Prices(usd_per_vcpu_second=0.001, usd_per_gb_month=2.0)
    games = game_costs([("b", 30.0, 1_000_000_000), ("a", 30.0, 500_000_000), ("c", 5.0, 1), ("b", 10.0, 0)])
    ledger = CostLedger(prices, games, TuningCost(1_234_567, 30.125))
    assert ledger.markdown(top=2) == (
        "## Cost ledger\n"
        "\n"
        "Game runs: 75.0 CPU seconds = **0.0750 USD** of compute (estimate); 1.500 GB of clips written = "
        "**3.0000 USD per month** of storage (estimate).\n"
        "\n"
        "Latest tuning job (actual, from `tuned_model`): 1,234,567 billable tokens, **30.12 USD**.\n"
        "\n"
        "Total: **33.2000 USD**.\n"
        "\n"
        "Assumed, not quoted: 0.001 USD per vCPU-second (Cloud Run's published price) and 2 USD per GB-month "
        "(Cloud Storage Standard); config values of `combined_dataset` (`usd_per_vcpu_second`, "
        "`usd_per_gb_month`). CPU seconds are those every clip step of the games spent.\n"
        "\n"
        "| game | clip runs | CPU s | compute USD | bytes written |\n"
        "|---|---|---|---|---|\n"
        "| b | 2 | 40.0 | 0.0400 | 1000000000 |\n"
        "| a | 1 | 30.0 | 0.0300 | 500000000 |\n"
    )


def test_the_metadata_are_the_ledgers_figures_rounded():
    prices = Prices(usd_per_vcpu_second=0.0000241234, usd_per_gb_month=0.02)
    ledger = CostLedger(prices, [GameCost("a", 3, 1000.12345, 2_000_000_000)], TuningCost(10, 1.23456789))
    assert ledger.metadata() == {
        "ledger_cpu_seconds": 1000.123,
        "ledger_compute_usd_estimate": 0.024126,
        "ledger_bytes_written": 2_000_000_000,
        "ledger_storage_usd_per_month_estimate": 0.04,
        "ledger_total_usd": 1.298694,
        "ledger_tuning_billable_tokens": 10,
        "ledger_tuning_cost_usd": 1.234568,
    }
    assert CostLedger(prices).metadata() == {
        "ledger_cpu_seconds": 0,
        "ledger_compute_usd_estimate": 0,
        "ledger_bytes_written": 0,
        "ledger_storage_usd_per_month_estimate": 0,
        "ledger_total_usd": 0,
    }


def test_the_default_prices_are_cloud_runs_and_cloud_storages():
    assert Prices() == Prices(usd_per_vcpu_second=0.000024, usd_per_gb_month=0.020)


def test_the_ledger_lists_the_ten_costliest_games_by_default_and_says_when_no_job_reported():
    ledger = CostLedger(Prices(usd_per_gb_month=0.0234567), game_costs([(f"g{n:02d}", n, 10**9) for n in range(11)]))
    text = ledger.markdown()
    assert "| g10 |" in text and "| g01 |" in text and "| g00 |" not in text
    assert (
        "USD per month** of storage (estimate).\n\nNo tuning job has reported its billable tokens and cost yet.\n"
        in text
    )
    assert ledger.metadata()["ledger_storage_usd_per_month_estimate"] == round(11 * 0.0234567, 6)
