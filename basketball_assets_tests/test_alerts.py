"""Slack alerts for real: failed runs and checks on a real Dagster instance, posted by the
official ``slack_sdk`` client (inside dagster-slack's resource) to a local stand-in of
Slack's Web API."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    DynamicPartitionsDefinition,
    EnvVar,
    Failure,
    RetryPolicy,
    asset,
    asset_check,
    build_run_status_sensor_context,
    instance_for_test,
    materialize,
)

from basketball_assets.alerts import AlertDeliveryFailed, SlackAlerts, build_alert_sensors
from basketball_assets.definitions import build_definitions
from basketball_assets.settings import SLACK_BOT_TOKEN, Settings
from basketball_assets_tests.services.slack_standin import TEST_TOKEN, SlackStandin, running_slack_standin

GAME = "0b8e1c52-4a4f-4c1e-9a51-3f1b2c9d7e60"
UI = "https://dagster.example.org"
games = DynamicPartitionsDefinition(name="games")


@asset(partitions_def=games, retry_policy=RetryPolicy(max_retries=1))
def flaky_clips() -> None:
    raise Failure(
        f"game {GAME}: no space left on device\nwhile cutting play p-7 into /data/.scratch",
        allow_retries=True,
    )


@asset
def dataset() -> None:
    return None


@asset_check(asset=dataset)
def dataset_is_whole() -> AssetCheckResult:
    return AssetCheckResult(passed=False, severity=AssetCheckSeverity.ERROR, description="2 games absent")


@asset_check(asset=dataset)
def dataset_is_big() -> AssetCheckResult:
    return AssetCheckResult(passed=False, severity=AssetCheckSeverity.WARN, description="few examples")


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with running_slack_standin() as running:
        yield running


@pytest.fixture
def slack(standin, monkeypatch) -> SlackAlerts:
    monkeypatch.setenv(SLACK_BOT_TOKEN, TEST_TOKEN)
    return SlackAlerts(token=EnvVar(SLACK_BOT_TOKEN), channel="#alerts", ui_base_url=UI, api_base_url=standin.base_url)


@dataclass
class Runs:
    """The module's runs, on one real instance with run retries on (at most one re-execution)."""

    instance: DagsterInstance
    failed: str  # failed for good: its tag turns re-execution off
    will_retry: str  # failed, and Dagster will re-execute it
    checks_failed: str  # succeeded, one check failed with error severity and one with a warning


def failed_game_run(instance: DagsterInstance, tags: dict | None = None) -> str:
    result = materialize([flaky_clips], partition_key=GAME, instance=instance, raise_on_error=False, tags=tags)
    assert not result.success
    return result.run_id


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    with instance_for_test(overrides={"run_retries": {"enabled": True, "max_retries": 1}}) as instance:
        instance.add_dynamic_partitions("games", [GAME])
        checked = materialize([dataset, dataset_is_whole, dataset_is_big], instance=instance)
        yield Runs(
            instance, failed_game_run(instance, {"dagster/max_retries": "0"}), failed_game_run(instance), checked.run_id
        )


def run_sensor(name: str, instance: DagsterInstance, run_id: str, event_type: DagsterEventType, slack: SlackAlerts):
    (sensor,) = [s for s in build_alert_sensors() if s.name == name]
    (entry,) = instance.all_logs(run_id, of_type=event_type)
    context = build_run_status_sensor_context(
        name, entry.dagster_event, instance, instance.get_run_by_id(run_id), resources={"slack": slack}
    )
    if event_type == DagsterEventType.RUN_FAILURE:
        context = context.for_run_failure()
    return sensor(context)


def test_a_failed_run_posts_one_message_with_game_step_reason_and_link(runs, standin, slack, caplog):
    caplog.set_level(logging.DEBUG)  # slack_sdk's request logs included
    run_sensor("slack_on_run_failure", runs.instance, runs.failed, DagsterEventType.RUN_FAILURE, slack)
    (message,) = standin.messages  # the step ran twice (a retry), the run failed once: one message
    text = message["text"]
    assert message["channel"] == "#alerts"
    assert f"game `{GAME}`" in text and "step `flaky_clips`" in text
    assert f"game {GAME}: no space left on device while cutting play p-7" in text  # one line
    assert "\n" not in text
    assert f"<{UI}/runs/{runs.failed}|Open the run>" in text
    # The token went to Slack in the header, and nowhere else: not in a message, not in a log line.
    assert standin.requests[0].headers["authorization"] == f"Bearer {TEST_TOKEN}"
    assert TEST_TOKEN not in str([request.body for request in standin.requests])
    assert any("chat.postMessage" in record.getMessage() for record in caplog.records)
    assert not [record for record in caplog.records if TEST_TOKEN in record.getMessage()]


def test_a_failed_run_that_dagster_will_re_execute_gets_no_message_of_its_own(runs, standin, slack):
    assert runs.instance.get_run_by_id(runs.will_retry).tags["dagster/will_retry"] == "true"
    run_sensor("slack_on_run_failure", runs.instance, runs.will_retry, DagsterEventType.RUN_FAILURE, slack)
    assert standin.requests == []


def test_a_check_failing_with_error_severity_posts_and_a_warning_does_not(runs, standin, slack):
    run_sensor("slack_on_check_failure", runs.instance, runs.checks_failed, DagsterEventType.RUN_SUCCESS, slack)
    (message,) = standin.messages
    assert "`dataset_is_whole` on `dataset`" in message["text"] and "2 games absent" in message["text"]
    assert f"{UI}/runs/{runs.checks_failed}" in message["text"]


def test_a_refused_token_fails_the_tick_without_showing_the_token(runs, standin, monkeypatch, caplog):
    monkeypatch.setenv(SLACK_BOT_TOKEN, "xoxb-9999-wrong-secret-token")
    slack = SlackAlerts(token=EnvVar(SLACK_BOT_TOKEN), channel="#alerts", api_base_url=standin.base_url)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as raised:
        run_sensor("slack_on_run_failure", runs.instance, runs.failed, DagsterEventType.RUN_FAILURE, slack)
    assert standin.messages == []
    failure = raised.value if isinstance(raised.value, AlertDeliveryFailed) else raised.value.__cause__
    assert "invalid_auth" in str(failure) and "SLACK_BOT_TOKEN" in str(failure)
    assert "wrong-secret" not in str(raised.value) and "wrong-secret" not in str(failure)
    assert not [record for record in caplog.records if "wrong-secret" in record.getMessage()]


def test_alerts_are_off_without_a_token_and_on_with_one_never_holding_its_value(tmp_path):
    local = {"BASKETBALL_DATA_DIR": str(tmp_path)}
    off = build_definitions(Settings.from_environ(local))
    assert "slack" not in off.resources
    assert not [sensor for sensor in off.sensors if sensor.name.startswith("slack_")]
    on = build_definitions(Settings.from_environ(local | {SLACK_BOT_TOKEN: TEST_TOKEN, "SLACK_CHANNEL": "#ops"}))
    sensors = {sensor.name: sensor for sensor in on.sensors}
    for name in ("slack_on_run_failure", "slack_on_check_failure"):
        assert sensors[name].default_status == DefaultSensorStatus.RUNNING
    slack = on.resources["slack"]
    assert slack.channel == "#ops"
    assert slack.token == EnvVar(SLACK_BOT_TOKEN)  # read by Dagster at run time; the value is nowhere here
    assert TEST_TOKEN not in repr(on.resources)
