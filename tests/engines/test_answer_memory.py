"""The answer-memory accounts: a query's cap, the process-wide budget, and the settings they come from."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.engines.answer_memory import (
    ANSWER_COPIES,
    CELL_BYTES,
    ENTRY_BYTES,
    AnswerBudget,
    AnswerMemory,
    AnswersBusy,
    AnswerTooLarge,
    hand_back_big_blocks,
)
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.datasource import parse_datasource_settings
from cloudsql_cos_ts.settings.plugin import load_plugin_settings

MB = 1 << 20


@pytest.mark.parametrize(
    ("cap_mb", "budget_mb", "results_mb", "refusal"),
    [
        (99, 1000, [1, 5, 33], None),  # 33 MB held ANSWER_COPIES times = 99 MB: just fits
        (99, 1000, [1, 34], AnswerTooLarge),
        (1000, 50, [5, 26], AnswersBusy),  # the process has less left than this query's cap
    ],
)
def test_a_growing_result_is_covered_or_refused(
    cap_mb: int, budget_mb: int, results_mb: list[int], refusal: type[Exception] | None
) -> None:
    budget = AnswerBudget(budget_mb * MB)
    memory = AnswerMemory(budget, cap_mb * MB)
    *growing, last = results_mb
    for size in growing:
        memory.cover(size * MB)
    if refusal is None:
        memory.cover(last * MB)
        assert budget.used_bytes == last * MB * ANSWER_COPIES
    else:
        with pytest.raises(refusal):
            memory.cover(last * MB)
        assert budget.used_bytes == memory.held_bytes == growing[-1] * MB * ANSWER_COPIES
    memory.release()
    memory.release()  # idempotent
    assert budget.used_bytes == 0


@pytest.mark.parametrize(
    ("cap_mb", "budget_mb", "result_mb", "streamed_mb", "refusal"),
    [
        (99, 1000, 30, 10, None),  # a streamed result draws its copies of what it holds, not of the result's
        (99, 1000, 34, 10, AnswerTooLarge),  # the cap is the result's, whichever way the frame is made
        (1000, 50, 100, 17, AnswersBusy),  # the budget is drawn for what is held: 51 MB
        (1000, 60, 100, 17, None),
    ],
)
def test_a_streamed_result_is_capped_as_a_result_and_drawn_as_held(
    cap_mb: int, budget_mb: int, result_mb: int, streamed_mb: int, refusal: type[Exception] | None
) -> None:
    budget = AnswerBudget(budget_mb * MB)
    memory = AnswerMemory(budget, cap_mb * MB)
    if refusal is None:
        memory.cover(result_mb * MB, streamed=streamed_mb * MB)
    else:
        with pytest.raises(refusal):
            memory.cover(result_mb * MB, streamed=streamed_mb * MB)
    assert budget.used_bytes == (streamed_mb * MB * ANSWER_COPIES if refusal is None else 0)
    memory.release()
    assert budget.used_bytes == 0


def test_refusals_say_what_to_change_and_are_downstream_4xx() -> None:
    with pytest.raises(AnswerTooLarge) as too_large:
        AnswerMemory(AnswerBudget(10**12), 10 * MB).cover(6 * MB)
    assert too_large.value.status == 413 and too_large.value.source == "downstream"
    assert "queryMemoryLimitMB" in too_large.value.message and "narrow the time range" in too_large.value.message
    budget = AnswerBudget(10 * MB)
    AnswerMemory(budget, 100 * MB).cover(3 * MB)
    with pytest.raises(AnswersBusy) as busy:
        AnswerMemory(budget, 100 * MB).cover(1 * MB)
    assert busy.value.status == 429 and "GF_PLUGIN_ANSWER_MEMORY_BYTES" in busy.value.message


def test_concurrent_accounts_never_take_more_than_the_budget() -> None:
    budget = AnswerBudget(10 * MB * ANSWER_COPIES)
    held = []
    for _ in range(5):
        memory = AnswerMemory(budget, 100 * MB)
        try:
            memory.cover(4 * MB)
            held.append(memory)
        except AnswersBusy:
            pass
    assert len(held) == 2 and budget.used_bytes <= budget.limit_bytes
    for memory in held:
        memory.release()
    assert budget.used_bytes == 0


def test_a_released_account_checks_the_cap_but_takes_nothing_more() -> None:
    """A shared run may go on after the call that started it gave its account back: nothing leaks."""
    budget = AnswerBudget(100 * MB)
    memory = AnswerMemory(budget, 70 * MB)
    memory.cover(10 * MB)
    memory.release()
    memory.cover(20 * MB)
    assert budget.used_bytes == memory.held_bytes == 0
    with pytest.raises(AnswerTooLarge):
        memory.cover(30 * MB)


def test_a_query_waits_for_its_entry_then_runs_or_is_refused_before_it_runs() -> None:
    budget = AnswerBudget(ENTRY_BYTES + ENTRY_BYTES // 2)
    first = AnswerMemory(budget, 1000 * MB)
    first.admit(CancelToken())
    first.cover(1 * MB)  # the entry stays beside the result's copies
    assert budget.used_bytes == first.held_bytes == ENTRY_BYTES + ANSWER_COPIES * MB
    gone = CancelToken()
    gone.cancel()  # a query whose call ended stops waiting at once
    with pytest.raises(AnswersBusy, match="did not start"):
        AnswerMemory(budget, 1000 * MB).admit(gone)
    threading.Timer(0.1, first.release).start()
    second = AnswerMemory(budget, 1000 * MB)
    second.admit(CancelToken())  # waited for the first to give its share back
    assert budget.used_bytes == ENTRY_BYTES
    second.release()
    small = AnswerMemory(budget, 4 * MB)  # the entry never exceeds the query's own cap
    small.admit(CancelToken())
    assert small.held_bytes == 4 * MB


def test_a_finished_run_gives_its_entry_back_and_keeps_its_results_copies() -> None:
    """The answers of one request are sent together: many small queries must not hold an entry each meanwhile."""
    budget = AnswerBudget(3 * ENTRY_BYTES)
    finished = [AnswerMemory(budget, 1000 * MB) for _ in range(10)]
    for memory in finished:  # more queries than entries fit at once, run one after another
        memory.admit(CancelToken())
        memory.cover(1 * MB)
        memory.settle()
    assert budget.used_bytes == sum(m.held_bytes for m in finished) == 10 * ANSWER_COPIES * MB
    for memory in finished:
        memory.release()
    assert budget.used_bytes == 0


@pytest.mark.parametrize(
    ("first_batch_mb", "streamed"),
    [(1, True), (1, False), (40, True), (0, False)],  # smaller than the guess, bigger, none (an empty result)
)
def test_the_first_batch_is_expected_before_it_is_built_then_counted_as_it_is(
    first_batch_mb: int, streamed: bool
) -> None:
    budget = AnswerBudget(1000 * MB)
    memory = AnswerMemory(budget, 1000 * MB)
    memory.admit(CancelToken())
    memory.expect(columns=36, rows=65_536, cancel=CancelToken())
    guess = 36 * 65_536 * CELL_BYTES * ANSWER_COPIES
    assert memory.held_bytes == budget.used_bytes == ENTRY_BYTES + guess
    batch = first_batch_mb * MB
    memory.cover(batch, streamed=batch if streamed else None)
    assert memory.held_bytes == budget.used_bytes == ENTRY_BYTES + batch * ANSWER_COPIES
    memory.release()
    assert budget.used_bytes == 0


def test_a_wide_query_waits_for_room_for_its_first_batch_or_is_refused_before_it_builds_it() -> None:
    budget = AnswerBudget(ENTRY_BYTES + 50 * MB)
    narrow, wide = AnswerMemory(budget, 1000 * MB), AnswerMemory(budget, 1000 * MB)
    narrow.expect(columns=1, rows=65_536, cancel=CancelToken())  # 1 MiB a batch, 3 MiB counted
    wide.admit(CancelToken())
    gone = CancelToken()
    gone.cancel()  # a query whose call ended stops waiting at once
    with pytest.raises(AnswersBusy, match="did not start"):
        wide.expect(columns=36, rows=65_536, cancel=gone)
    assert budget.used_bytes == ENTRY_BYTES + 3 * MB
    threading.Timer(0.1, narrow.release).start()
    wide.expect(columns=1, rows=1 << 20, cancel=CancelToken())  # 48 MiB counted: waited for the narrow one's 3
    assert budget.used_bytes == wide.held_bytes == ENTRY_BYTES + (1 << 20) * CELL_BYTES * ANSWER_COPIES
    wide.release()
    assert budget.used_bytes == 0


def _settings(json_data: dict[str, object]) -> int:
    raw = json.dumps(json_data).encode()
    parsed = parse_datasource_settings(uid="u", name="n", last_updated_ms=1, json_data=raw, secure={})
    return parsed.query_memory_limit_bytes


@pytest.mark.parametrize(
    ("json_data", "expected_mb"),
    [
        ({}, 1_000_000 * 2048 / MB),  # 2 KiB per row of the default row limit
        ({"rowLimit": 50_000}, 256),  # never below 256 MB
        ({"rowLimit": 50_000, "queryMemoryLimitMB": 64}, 64),
        ({"queryMemoryLimitMB": "1024"}, 1024),
    ],
)
def test_query_memory_limit_defaults_to_the_row_limit(json_data: dict[str, object], expected_mb: float) -> None:
    assert _settings(json_data) == int(expected_mb * MB)


def test_a_bad_query_memory_limit_names_the_field() -> None:
    with pytest.raises(BadRequest, match="queryMemoryLimitMB"):
        _settings({"queryMemoryLimitMB": 0})


def test_the_process_budget_comes_from_the_environment() -> None:
    assert load_plugin_settings({"GF_PLUGIN_ANSWER_MEMORY_BYTES": "123456"}).answer_memory_bytes == 123456
    assert load_plugin_settings({}).answer_memory_bytes > 0


@pytest.mark.parametrize(
    ("available", "json_data", "expected"),
    [
        (24 << 30, {}, "4GB"),  # a big machine keeps DuckDB's usual limit
        (2 << 30, {}, "512MB"),  # a 2 GB container: a quarter of it
        (256 << 20, {}, "128MB"),  # never below 128 MB
        (2 << 30, {"memoryLimit": "1GB"}, "1GB"),  # a configured limit is kept
    ],
)
def test_duckdb_memory_limit_fits_the_container(
    monkeypatch: pytest.MonkeyPatch, available: int, json_data: dict[str, object], expected: str
) -> None:
    monkeypatch.setattr("cloudsql_cos_ts.settings.datasource.available_bytes", lambda: available)
    raw = json.dumps(json_data).encode()
    assert (
        parse_datasource_settings(uid="u", name="n", last_updated_ms=1, json_data=raw, secure={}).memory_limit
        == expected
    )


# A fresh process frees big blocks as an answer does while a block after them stays (another answer's), so
# glibc's heap cannot shrink from its top; it prints how much its RSS grew by, once they are freed. The block that
# stays is the last big one: small blocks may land in holes the imports left lower in the heap, and then the freed
# blocks would join the top and leave after all. The heap is trimmed first: a top left big enough by the imports
# would serve the first block, which then never gets pages of its own and never raises glibc's threshold.
_FREED_PROBE = """
import ctypes, os, sys
from cloudsql_cos_ts.engines.answer_memory import hand_back_big_blocks
if sys.argv[1] == "held":
    hand_back_big_blocks({})
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
libc.malloc_trim(0)
first = libc.malloc(8 << 20); ctypes.memset(first, 1, 8 << 20); libc.free(first)  # as the first answer's blocks
before, big = rss(), []
for _ in range(64):
    big.append(libc.malloc(4 << 20)); ctypes.memset(big[-1], 1, 4 << 20)
for block in big[:-1]:
    libc.free(block)
print(rss() - before)
"""


@pytest.mark.parametrize(("threshold", "low_mb", "high_mb"), [("glibc's own", 192, 1 << 20), ("held", 0, 16)])
def test_freed_big_blocks_leave_the_process_once_the_threshold_is_held(
    threshold: str, low_mb: int, high_mb: int
) -> None:
    """Without :func:`hand_back_big_blocks` the freed blocks stay in the process (what outgrew the answer budget
    in W7); with it they are given back as they are freed."""
    done = subprocess.run(
        [sys.executable, "-c", _FREED_PROBE, threshold], capture_output=True, text=True, timeout=60, check=True
    )
    assert low_mb * MB <= int(done.stdout) <= high_mb * MB, f"{int(done.stdout) / MB:.0f} MB kept"


def test_the_operators_threshold_is_left_alone() -> None:
    assert hand_back_big_blocks({"MALLOC_MMAP_THRESHOLD_": "65536"}) is False
