"""BoundedLru: the least recently used entries go first, by count or by weight; invalid ones are dropped."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from cloudsql_cos_ts.lru import BoundedLru


@pytest.mark.parametrize(
    ("budget", "weights", "touched", "kept"),
    [
        (2, {"a": 1, "b": 1, "c": 1}, "", ["b", "c"]),  # by count: the oldest goes
        (2, {"a": 1, "b": 1, "c": 1}, "a", ["a", "c"]),  # a read makes an entry the newest
        (10, {"a": 4, "b": 4, "c": 4}, "", ["b", "c"]),  # by weight
        (10, {"a": 9, "b": 2}, "", ["b"]),  # as many go as the new entry needs
        (3, {"a": 5}, "", []),  # heavier than the whole budget: not held at all
        (0, {"a": 1}, "", []),
    ],
)
def test_eviction_order(budget: int, weights: dict[str, int], touched: str, kept: list[str]) -> None:
    lru: BoundedLru[str, tuple[str, int]] = BoundedLru(budget, weigh=lambda value: value[1])
    names = list(weights)
    for name in names[:-1]:
        lru.put(name, (name, weights[name]))
    for name in touched:
        assert lru.get(name) == (name, weights[name])
    lru.put(names[-1], (names[-1], weights[names[-1]]))
    assert [name for name in names if lru.get(name) is not None] == kept
    assert lru.weight == sum(weights[name] for name in kept)


def test_an_invalid_entry_is_dropped_when_read() -> None:
    lru: BoundedLru[str, int] = BoundedLru(10)
    lru.put("a", 1)
    assert lru.get("a", valid=lambda value: value > 1) is None
    assert len(lru) == 0 and lru.get("a") is None


def test_replacing_and_dropping_keep_the_weight_exact() -> None:
    lru: BoundedLru[str, int] = BoundedLru(100, weigh=lambda value: value)
    lru.put("a", 10)
    lru.put("a", 30)
    lru.put("b", 5)
    assert lru.weight == 35
    lru.drop(lambda value: value > 20)
    assert lru.weight == 5 and lru.get("b") == 5
    lru.clear()
    assert lru.weight == 0 and len(lru) == 0


def test_concurrent_use_stays_within_the_budget() -> None:
    lru: BoundedLru[int, int] = BoundedLru(50)

    def work(i: int) -> None:
        lru.put(i % 80, i)
        lru.get((i * 7) % 80)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(5000)))
    assert len(lru) == lru.weight <= 50
