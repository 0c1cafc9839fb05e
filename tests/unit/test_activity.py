"""Background work waits for a pause in the requests the process answers (``activity.py``)."""

from __future__ import annotations

import threading
import time

import pytest

from cloudsql_cos_ts.activity import Activity

QUIET_S = 0.2


def _waited(activity: Activity, stop: threading.Event) -> tuple[bool, float]:
    began = time.monotonic()
    return activity.wait_quiet(stop), time.monotonic() - began


def test_nothing_answered_yet_is_quiet_at_once() -> None:
    quiet, waited = _waited(Activity(QUIET_S), threading.Event())
    assert quiet and waited < 0.05


@pytest.mark.parametrize("requests", [1, 3])
def test_the_wait_ends_a_quiet_time_after_the_last_request(requests: int) -> None:
    activity = Activity(QUIET_S)
    entered = [activity.answering() for _ in range(requests)]
    for request in entered:
        request.__enter__()
    result: list[tuple[bool, float]] = []
    waiter = threading.Thread(target=lambda: result.append(_waited(activity, threading.Event())))
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive()  # requests still answered
    ended = time.monotonic()
    for request in entered:
        request.__exit__(None, None, None)
    waiter.join(5)
    quiet, _ = result[0]
    assert quiet and time.monotonic() - ended >= QUIET_S - 0.01


def test_a_stop_ends_the_wait() -> None:
    activity, stop = Activity(QUIET_S), threading.Event()
    with activity.answering():
        threading.Timer(0.1, stop.set).start()
        quiet, waited = _waited(activity, stop)
    assert not quiet and waited < 1


def test_a_failed_request_still_ends() -> None:
    activity = Activity(QUIET_S)
    with pytest.raises(RuntimeError), activity.answering():
        raise RuntimeError("the request failed")
    time.sleep(QUIET_S)
    assert _waited(activity, threading.Event())[0]
