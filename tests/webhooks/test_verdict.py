"""The worker's one decision about a failed attempt: retried later or dead, and whether the
endpoint is disabled (:func:`rolodex.webhooks.worker.verdict`). Pure: no database."""

from __future__ import annotations

import pytest

from rolodex.config import Settings
from rolodex.webhooks.worker import Verdict, verdict

# Three retries: attempts 1 to 4, the fourth is the last.
SETTINGS = Settings(webhooks_retry_schedule="1,2,3", webhooks_disable_after=5)


@pytest.mark.parametrize(("attempt", "dead"), [(1, False), (3, False), (4, True), (5, True)])
def test_a_failure_is_retried_until_the_last_attempt_of_the_schedule(
    attempt: int, dead: bool
) -> None:
    assert verdict(SETTINGS, attempt, status=500) == Verdict(dead=dead)
    assert verdict(SETTINGS, attempt) == Verdict(dead=dead)  # no answer at all


def test_410_gone_kills_the_delivery_and_disables_the_endpoint_on_the_first_attempt() -> None:
    assert verdict(SETTINGS, 1, status=410, failures=1) == Verdict(
        dead=True, disable="The endpoint answered 410 Gone"
    )


def test_the_endpoint_is_disabled_at_the_configured_run_of_failures() -> None:
    assert verdict(SETTINGS, 2, status=503, failures=4) == Verdict(dead=False)
    assert verdict(SETTINGS, 2, status=503, failures=5) == Verdict(
        dead=False, disable="5 consecutive failed attempts"
    )
    assert verdict(SETTINGS, 4, failures=6) == Verdict(
        dead=True, disable="6 consecutive failed attempts"
    )


def test_uncounted_failures_never_disable() -> None:
    """A failure that is not the endpoint's fault (a secret this deployment cannot
    decrypt) is not counted, so it decides the delivery's fate only."""
    assert verdict(SETTINGS, 4).disable is None
