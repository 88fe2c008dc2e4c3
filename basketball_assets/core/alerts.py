"""The text of the Slack alerts: one line of what failed, where, why, and a link to the run."""

from __future__ import annotations

import re

#: The longest reason shown; the run's page has the rest.
REASON_CHARS = 300
#: Python's "module.ExceptionName: " prefix on error messages: noise in one line.
EXCEPTION_PREFIX = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Failure|Failed)?: ")


def one_line(reason: str, limit: int = REASON_CHARS) -> str:
    """``reason`` on one line, without a leading exception class name, cut to ``limit`` characters."""
    text = " ".join(reason.split())
    text = EXCEPTION_PREFIX.sub("", text, count=1)
    text = text.replace("<", "‹").replace(">", "›")  # Slack reads <...> as a link or mention
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_url(ui_base_url: str, run_id: str) -> str:
    """The run's page in the Dagster UI."""
    return f"{ui_base_url.rstrip('/')}/runs/{run_id}"


def where(partition: str | None) -> str:
    return f"game `{partition}`" if partition else "no game (an unpartitioned run)"


def run_failure_text(job: str, partition: str | None, step: str | None, reason: str, url: str) -> str:
    """The message for a failed run: game partition, step, reason in one line, link."""
    step_text = f"step `{step}`" if step else "before any step failed"
    return (
        f":red_circle: *Run failed*: {where(partition)}, {step_text} ({job}): {one_line(reason)} <{url}|Open the run>"
    )


def check_failure_text(check: str, asset: str, partition: str | None, reason: str, url: str) -> str:
    """The message for a failed asset check (error severity) in a run that otherwise succeeded."""
    return (
        f":warning: *Check failed*: `{check}` on `{asset}`, {where(partition)}: {one_line(reason)} <{url}|Open the run>"
    )
