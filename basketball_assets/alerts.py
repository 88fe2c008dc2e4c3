"""Slack alerts: a run-failure sensor and a failed-check sensor, posting through ``dagster-slack``.

On only when ``SLACK_BOT_TOKEN`` is set (Dagster reads it at run time as an ``EnvVar``; it
is never in a message or a log line). One message per failed run: step retries happen
inside the run, and a failed run that Dagster will re-execute (run retries, tag
``dagster/will_retry=true``) is left to its last attempt.
"""

from __future__ import annotations

from collections.abc import Iterable

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    SensorDefinition,
    run_failure_sensor,
    run_status_sensor,
)
from dagster._core.storage.tags import PARTITION_NAME_TAG, WILL_RETRY_TAG
from dagster_slack import SlackResource
from pydantic import Field
from slack_sdk import WebClient

from basketball_assets.core.alerts import check_failure_text, run_failure_text, run_url

SLACK_API = "https://slack.com/api/"
#: Checks whose warnings are alerted too (the freshness checks); other warnings stay in the UI.
ALERTED_WARNINGS = {"no_games_waiting", "plays_sensor_ticking"}
#: Dagster's errors around a step's own error: the alert shows the one inside.
DAGSTER_WRAPPERS = {"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError", "RetryRequestedFromPolicy"}


class AlertDeliveryFailed(RuntimeError):
    """Slack refused or could not be reached; the sensor's tick fails and is tried again."""


class SlackAlerts(SlackResource):
    """Where alerts go: dagster-slack's ``SlackResource`` (the bot token) plus the channel, the UI's
    address for run links, and the Web API's address (a stand-in in tests)."""

    channel: str = Field(description="The channel alerts are posted to, e.g. #basketball-assets (env SLACK_CHANNEL).")
    ui_base_url: str = Field(
        default="http://localhost:3000", description="The Dagster UI's address, for run links (env BASKETBALL_UI_URL)."
    )
    api_base_url: str = Field(default=SLACK_API, description="Slack's Web API; another address only for tests.")

    def get_client(self) -> WebClient:
        return WebClient(token=self.token, base_url=self.api_base_url)

    def post(self, text: str) -> None:
        """Post ``text`` to the channel; raises :class:`AlertDeliveryFailed` with the token redacted."""
        try:
            self.get_client().chat_postMessage(channel=self.channel, text=text, unfurl_links=False)
        except Exception as error:  # any client failure: report it, never the token
            reason = str(error).replace(self.token, "[token]") if self.token else str(error)
            raise AlertDeliveryFailed(
                f"could not post the alert to Slack channel {self.channel} at {self.api_base_url}: {reason}. "
                "Check SLACK_BOT_TOKEN (a bot token with chat:write) and that the bot is in the channel"
            ) from None


def will_be_retried(context: RunStatusSensorContext) -> bool:
    """Whether Dagster will re-execute this failed run (its tag is set when the failure is stored)."""
    run = context.instance.get_run_by_id(context.dagster_run.run_id) or context.dagster_run
    return run.tags.get(WILL_RETRY_TAG) == "true"


def failure_reason(context: RunFailureSensorContext) -> tuple[str | None, str]:
    """The first failed step and its error's message (its user-code cause), else the run's own."""
    for event in context.get_step_failure_events():
        failure = event.step_failure_data
        if failure.user_failure_data and failure.user_failure_data.description:
            return event.step_key, failure.user_failure_data.description  # a raised dagster.Failure
        error = failure.error
        while error is not None and error.cause is not None and error.cls_name in DAGSTER_WRAPPERS:
            error = error.cause  # the user-code error inside Dagster's wrapper
        return event.step_key, error.message if error else "the step failed"
    return None, context.failure_event.message or "the run failed"


def failed_checks(context: RunStatusSensorContext) -> Iterable[AssetCheckEvaluation]:
    """The run's checks that failed with error severity, or with a warning in :data:`ALERTED_WARNINGS`."""
    run_id = context.dagster_run.run_id
    for entry in context.instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data if entry.dagster_event else None
        failed = isinstance(evaluation, AssetCheckEvaluation) and not evaluation.passed
        if failed and (evaluation.severity == AssetCheckSeverity.ERROR or evaluation.check_name in ALERTED_WARNINGS):
            yield evaluation


def build_alert_sensors(default_status: DefaultSensorStatus = DefaultSensorStatus.RUNNING) -> list[SensorDefinition]:
    """The two alert sensors, posting through the ``slack`` resource."""

    @run_failure_sensor(name="slack_on_run_failure", default_status=default_status)
    def slack_on_run_failure(context: RunFailureSensorContext, slack: SlackAlerts) -> None:
        """Post one Slack message per failed run: game, step, reason, link to the run."""
        run = context.dagster_run
        if will_be_retried(context):
            context.log.info(f"run {run.run_id} failed and will be re-executed: no alert for this attempt")
            return
        step, reason = failure_reason(context)
        partition = run.tags.get(PARTITION_NAME_TAG)
        slack.post(run_failure_text(run.job_name, partition, step, reason, run_url(slack.ui_base_url, run.run_id)))
        context.log.info(f"alerted {slack.channel} about failed run {run.run_id}")

    @run_status_sensor(
        name="slack_on_check_failure", run_status=DagsterRunStatus.SUCCESS, default_status=default_status
    )
    def slack_on_check_failure(context: RunStatusSensorContext, slack: SlackAlerts) -> None:
        """Post one Slack message per asset check that failed with error severity (or a freshness
        warning) in a successful run."""
        run = context.dagster_run
        url = run_url(slack.ui_base_url, run.run_id)
        for evaluation in failed_checks(context):
            reason = evaluation.description or "the check failed; its metadata in the run says why"
            partition = evaluation.partition or run.tags.get(PARTITION_NAME_TAG)
            asset = evaluation.asset_key.to_user_string()
            slack.post(check_failure_text(evaluation.check_name, asset, partition, reason, url))
            context.log.info(f"alerted {slack.channel} about check {evaluation.check_name} of run {run.run_id}")

    return [slack_on_run_failure, slack_on_check_failure]
