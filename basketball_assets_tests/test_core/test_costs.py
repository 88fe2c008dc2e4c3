"""The cost ledger's arithmetic and its labelled assumptions."""

import pytest

from basketball_assets.core.costs import (
    CLOUD_RUN_USD_PER_VCPU_SECOND,
    CostLedger,
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
