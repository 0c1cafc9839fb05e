"""Cancellation tokens: callbacks, deadlines and parent/child links."""

from __future__ import annotations

import gc
import threading
import time
import weakref

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


def test_a_sooner_deadline_fires_first_whatever_the_order_tokens_came_in() -> None:
    """One thread fires every deadline: it wakes for a deadline sooner than the one it sleeps for."""
    late = CancelToken(30)
    soon = CancelToken(0.05)
    time.sleep(0.3)
    assert soon.reason == "timeout" and not late.is_cancelled()
    late.close()


def test_a_closed_token_neither_fires_nor_stays_referenced() -> None:
    token = CancelToken(0.05)
    token.close()
    time.sleep(0.2)
    assert not token.is_cancelled()
    queued = weakref.ref(CancelToken(30))
    closing = queued()
    assert closing is not None
    closing.close()
    del closing
    gc.collect()
    assert queued() is None  # its deadline waits in the queue without the token


def test_deadlines_start_no_thread_per_token() -> None:
    CancelToken(30).close()  # the one deadline thread runs from now on
    before = threading.active_count()
    tokens = [CancelToken(30) for _ in range(50)]
    assert threading.active_count() == before
    for token in tokens:
        token.close()


def _failing_stop() -> None:
    raise RuntimeError("the engine could not be interrupted")


def test_a_failing_stop_leaves_the_other_deadlines_firing() -> None:
    failing = CancelToken(0.05)
    failing.on_cancel(_failing_stop)
    later = CancelToken(0.1)
    time.sleep(0.3)
    assert failing.is_cancelled() and later.reason == "timeout"
