"""The Spark session pool: which idle session a query leases (no Spark server needed)."""

from __future__ import annotations

from typing import Any

import pytest

from cloudsql_cos_ts.engines.spark.client import Session
from cloudsql_cos_ts.engines.spark.enrich import has_functions
from cloudsql_cos_ts.engines.spark.sessions import SessionPool


class _Conf:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def set(self, key: str, value: str) -> None:
        self.values[key] = value


class _Session:
    """Just what the pool touches: its settings, stop, and the functions registered in it."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.conf = _Conf()
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def _pool() -> tuple[SessionPool, list[Any]]:
    opened: list[Any] = []

    def open_session() -> Session:
        session = _Session(len(opened))
        opened.append(session)
        return session  # type: ignore[return-value]

    return SessionPool(open_session, {"spark.test": "1"}), opened


def _idle_three(pool: SessionPool) -> None:
    """Three sessions leased at once, given back in the order 2, 1, 0 (the innermost first)."""
    with pool.lease(), pool.lease(), pool.lease():
        pass


@pytest.mark.parametrize(
    ("registered", "calls", "leased"),
    [
        ({}, frozenset(), 0),  # no preference: the session given back last
        ({1: {"geo_country"}}, frozenset({"geo_country"}), 1),
        ({1: {"geo_country"}, 2: {"geo_country", "asn"}}, frozenset({"geo_country", "asn"}), 2),
        ({1: {"asn"}}, frozenset({"geo_country"}), 0),  # none has them: the last given back
    ],
)
def test_a_query_leases_an_idle_session_that_has_its_functions(
    registered: dict[int, set[str]], calls: frozenset[str], leased: int
) -> None:
    pool, opened = _pool()
    _idle_three(pool)
    for number, names in registered.items():
        opened[number]._cloudsql_enrichment = names  # what ensure_functions records
    prefer = (lambda session: has_functions(session, calls)) if calls else None
    with pool.lease(prefer) as session:
        assert session.number == leased  # type: ignore[attr-defined]
    assert len(opened) == 3  # no new session while one is idle
    assert all(s.conf.values["spark.test"] == "1" for s in opened)


def test_a_new_session_when_none_is_idle_and_all_stopped_at_close() -> None:
    pool, opened = _pool()
    with pool.lease(lambda session: True) as first, pool.lease() as second:
        assert first is not second
    pool.close()
    assert [s.stopped for s in opened] == [True, True]
