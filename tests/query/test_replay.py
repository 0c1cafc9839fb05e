"""Replaying the answers of an identical, fully cached request: what makes two requests identical, and how long."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cloudsql_cos_ts.proto import backend_pb2 as pb
from cloudsql_cos_ts.query.answer import QueryAnswer, RequestAnswers
from cloudsql_cos_ts.query.replay import MAX_REQUESTS, RecentRequests, fingerprint

NOW = 1_000_000.0


def request(change: Callable[[pb.QueryDataRequest], None] = lambda _: None) -> pb.QueryDataRequest:
    built = pb.QueryDataRequest()
    built.pluginContext.orgId = 1
    built.pluginContext.dataSourceInstanceSettings.uid = "ds"
    built.pluginContext.dataSourceInstanceSettings.lastUpdatedMS = 5
    query = built.queries.add(refId="A", json=b'{"rawSql": "SELECT 1"}', intervalMS=1000, maxDataPoints=100)
    query.timeRange.fromEpochMS, query.timeRange.toEpochMS = 0, 3_600_000
    change(built)
    return built


def key_of(built: pb.QueryDataRequest, headers: dict[str, str] | None = None, limit: str = "") -> object:
    built.headers.update(headers or {})
    built.pluginContext.grafanaConfig["GF_SQL_ROW_LIMIT"] = limit
    return fingerprint(built)


def _set(path: str, value: object) -> Callable[[pb.QueryDataRequest], None]:
    def change(built: pb.QueryDataRequest) -> None:
        *parents, name = path.split(".")
        target: object = built
        for parent in parents:
            target = target[0] if parent == "0" else getattr(target, parent)  # type: ignore[index]
        setattr(target, name, value)

    return change


@pytest.mark.parametrize(
    "change",
    [
        _set("pluginContext.orgId", 2),
        _set("pluginContext.dataSourceInstanceSettings.uid", "other"),
        _set("pluginContext.dataSourceInstanceSettings.lastUpdatedMS", 6),
        _set("pluginContext.dataSourceInstanceSettings.id", 99),  # the same uid in another org
        _set("pluginContext.dataSourceInstanceSettings.jsonData", b'{"source": "/other"}'),  # edited in one second
        lambda built: built.pluginContext.dataSourceInstanceSettings.decryptedSecureJsonData.update({"apiKey": "k2"}),
        _set("queries.0.refId", "B"),
        _set("queries.0.queryType", "x"),
        _set("queries.0.json", b'{"rawSql": "SELECT 2"}'),
        _set("queries.0.timeRange.fromEpochMS", 1),
        _set("queries.0.timeRange.toEpochMS", 3_600_001),
        _set("queries.0.intervalMS", 2000),
        _set("queries.0.maxDataPoints", 200),
        lambda built: built.queries.add(refId="B"),
    ],
)
def test_every_part_of_a_request_its_answers_depend_on_changes_the_fingerprint(
    change: Callable[[pb.QueryDataRequest], None],
) -> None:
    assert key_of(request(change)) != key_of(request())
    assert key_of(request()) == key_of(request())


@pytest.mark.parametrize(
    "change",
    [
        _set("pluginContext.user.login", "someone-else"),
        lambda built: built.headers.update({"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}),
        lambda built: built.headers.update({"X-Cache-Skip": "false"}),
        lambda built: built.pluginContext.grafanaConfig.update({"GF_SQL_MAX_OPEN_CONNS": "10"}),
    ],
)
def test_who_asks_and_per_request_headers_do_not_change_the_fingerprint(
    change: Callable[[pb.QueryDataRequest], None],
) -> None:
    """Viewers of one dashboard share replays; trace headers differ in every request Grafana sends."""
    assert key_of(request(change)) == key_of(request())


def test_the_row_limit_counts_and_skipping_requests_are_never_replayed() -> None:
    assert key_of(request(), limit="10") != key_of(request())
    assert key_of(request(), {"FromAlert": "true"}) is None
    assert key_of(request(), {"FromAlert": ""}) is None
    assert key_of(request(), {"X-Cache-Skip": "true"}) is None
    assert key_of(request(), {"http_X-Cache-Skip": "TRUE"}) is None


def hit(until: float | None) -> QueryAnswer:
    return QueryAnswer(frames=[b"f"], reusable_until=until)


def answered(**by_ref: QueryAnswer) -> RequestAnswers:
    return RequestAnswers("duckdb", by_ref)


def test_only_requests_answered_entirely_by_hits_are_kept() -> None:
    recent = RecentRequests()
    for name, answers in [
        ("a run", answered(A=hit(NOW + 5), B=QueryAnswer(frames=[b"f"]))),
        ("an error", answered(A=QueryAnswer(status=400, error="bad"))),
        ("nothing", answered()),
    ]:
        recent.offer((name,), answers, generation=0)
        assert recent.get((name,), now=NOW, generation=0) is None, name


def test_replays_end_at_the_earliest_limit_or_at_a_clear() -> None:
    recent = RecentRequests()
    answers = answered(A=hit(NOW + 5), B=hit(NOW + 1))
    recent.offer(("k",), answers, generation=3)
    assert recent.get(("k",), now=NOW + 0.9, generation=3) is answers
    assert recent.get(("k",), now=NOW + 1, generation=3) is None
    recent.offer(("k",), answers, generation=3)
    assert recent.get(("k",), now=NOW, generation=4) is None


def test_the_number_of_requests_kept_is_bounded() -> None:
    recent = RecentRequests()
    for i in range(MAX_REQUESTS + 1):
        recent.offer((i,), answered(A=hit(NOW + 5)), generation=0)
    assert recent.get((0,), now=NOW, generation=0) is None
    assert recent.get((MAX_REQUESTS,), now=NOW, generation=0) is not None
