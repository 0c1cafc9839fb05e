"""Cancellation tokens: callbacks, deadlines and parent/child links."""

from __future__ import annotations

import time

from cloudsql_cos_ts.cancel import CancelToken


def test_callbacks_run_once_and_late_registration_runs_at_once() -> None:
    token = CancelToken()
    calls: list[str] = []
    token.on_cancel(lambda: calls.append("a"))
    token.cancel()
    token.cancel()
    token.on_cancel(lambda: calls.append("b"))
    assert calls == ["a", "b"] and token.reason == "cancelled"


def test_unregistered_callback_does_not_run() -> None:
    token = CancelToken()
    calls: list[int] = []
    release = token.on_cancel(lambda: calls.append(1))
    release()
    token.cancel()
    assert calls == []


def test_deadline_fires_with_timeout_reason() -> None:
    token = CancelToken(0.05)
    time.sleep(0.2)
    assert token.is_cancelled() and token.reason == "timeout"


def test_child_follows_parent_and_has_its_own_deadline() -> None:
    parent = CancelToken()
    child = parent.child(10)
    parent.cancel()
    assert child.is_cancelled() and child.reason == "cancelled"
    short = CancelToken().child(0.05)
    time.sleep(0.2)
    assert short.reason == "timeout"


def test_closed_child_detaches_from_parent() -> None:
    parent = CancelToken()
    child = parent.child()
    child.close()
    parent.cancel()
    assert not child.is_cancelled()
