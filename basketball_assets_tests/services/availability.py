"""What a test does when a real server it needs cannot be started.

Locally it is skipped with a loud reason, so a machine without (say) npm still runs the
rest of the suite; under CI (``CI=true``) it fails, because CI must run every real-server test.
"""

import os

import pytest


def running_in_ci() -> bool:
    return os.environ.get("CI") == "true"


def service_unavailable(service: str, reason: str, fix: str) -> None:
    """Skip (locally) or fail (under CI) the test that needs ``service``; never returns."""
    message = f"{service} could not be started: {reason}. To fix: {fix}"
    if running_in_ci():
        pytest.fail(f"CI must run the {service} tests. {message}", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: {message}")
