"""Which source failures the flow's fetch task retries."""

from __future__ import annotations

import pytest
from prefect.states import Failed

from flows.discover import _transient, fetch_task
from prospecting.errors import BadResponse, OfflineMiss, RateLimited, SourceError, Unavailable


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (Unavailable("busy"), True),
        (RateLimited("slow down", retry_after=30), True),
        (Unavailable("no such host", transient=False), False),
        (BadResponse("remark"), False),
        (OfflineMiss("no cached answer"), False),
    ],
)
def test_only_transient_failures_are_retried(error: SourceError, retried: bool) -> None:
    assert _transient(fetch_task, None, Failed(data=error)) is retried
    assert fetch_task.retries == 2
