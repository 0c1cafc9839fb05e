"""The follower: the plugin keeps its datasource's flow lake current by itself, in the background.

Without it the lake is only as fresh as the last ``cloudsql-cos-ts compact`` run. A datasource with a
lake location gets one follower thread per plugin process: every ``interval_s`` it compacts the
settled days of the last ``days_back`` days (``compact.compact_range``: each day is listed per vNIC
prefix and skipped when its manifest already holds exactly the listed objects, so a pass over a
current lake costs listings only; a late or re-uploaded object makes its day written again).

It must never cost the queries it serves: one thread at the lowest CPU priority (the threads it
starts to download inherit it), a request rate cap on every store call (``storage/throttled.py``),
memory bounded by compaction's row-group-at-a-time writing, and failures logged, never raised. It
stops on ``stop`` (the datasource instance is closed or rebuilt, the plugin shuts down): the day in
progress is abandoned unpublished, which leaves the lake as it was.

Several plugin processes (Grafana replicas) following the same lake would do the same work; the
lake's deterministic names and last-writer-wins manifests make that harmless but wasteful, so a pass
first takes a lease, a small object beside the days naming its holder until a deadline. The lease is
advisory (an object store has no compare-and-swap for plain PUTs): two followers starting within
one read-back of each other may both compact a pass, which costs requests, never correctness.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from cloudsql_cos_ts.cancel import CancelToken
from cloudsql_cos_ts.errors import NotFound
from cloudsql_cos_ts.flowlogs.ingest import IngestCache
from cloudsql_cos_ts.flowlogs.lake.compact import DayResult, RawSource, compact_range
from cloudsql_cos_ts.flowlogs.lake.layout import LakeSource, open_lake
from cloudsql_cos_ts.log import log
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.storage.base import ObjectStore
from cloudsql_cos_ts.storage.local import LocalStore
from cloudsql_cos_ts.storage.throttled import RequestPacer, ThrottledStore

LEASE_NAME = "_follower.json"
LOWEST_PRIORITY = 19  # nice value of the follower's thread (Linux applies it per thread)


@dataclass(frozen=True)
class FollowPolicy:
    """How much a follower does and how often (defaults: docs/lake.md)."""

    # A pass lists every vNIC's day folder for each day it checks, so these two set the follower's
    # listing cost (docs/benchmarks.md, the cost model): a day settles two hours after midnight and
    # late objects come within hours, so three days checked twice an hour keep the lake current.
    interval_s: float = 1800.0  # between the starts of two passes
    days_back: int = 3  # how many days before today each pass keeps current
    requests_per_s: float = 50.0  # the cap on the follower's store requests (GF_PLUGIN_LAKE_REQUESTS_PER_SECOND)
    lease_s: float = 1800.0  # how long a pass's lease keeps other followers away unless renewed


@dataclass(frozen=True)
class Lease:
    owner: str
    until: datetime

    def to_json(self) -> bytes:
        return json.dumps({"owner": self.owner, "until": self.until.isoformat()}).encode()


def read_lease(lake: LakeSource) -> Lease | None:
    """The lease as the lake holds it; None when there is none or it is not readable (then anyone may take it)."""
    try:
        data, _ = lake.store.get(lake.prefix + LEASE_NAME)
        document = json.loads(data)
        return Lease(str(document["owner"]), datetime.fromisoformat(document["until"]))
    except NotFound:
        return None
    except (ValueError, TypeError, KeyError):
        return None


def take_lease(lake: LakeSource, owner: str, now: datetime, duration: timedelta) -> bool:
    """Whether ``owner`` holds the lease after this call: taken or renewed unless another holder's is still valid."""
    held = read_lease(lake)
    if held is not None and held.owner != owner and held.until > now:
        return False
    lake.store.put(lake.prefix + LEASE_NAME, Lease(owner, now + duration).to_json())
    confirmed = read_lease(lake)  # another follower's PUT just after ours wins: it works, we wait
    return confirmed is not None and confirmed.owner == owner


@dataclass
class Follower:
    """One datasource's follower thread; ``start`` once, ``stop`` when the datasource goes away."""

    raw: RawSource
    lake: LakeSource
    cache: IngestCache
    policy: FollowPolicy = field(default_factory=FollowPolicy)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    passes: int = 0  # finished passes (tests and logs)
    last: list[DayResult] = field(default_factory=list)  # the last pass's days
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _cancel: CancelToken = field(default_factory=CancelToken, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _passed: threading.Condition = field(default_factory=threading.Condition, init=False)

    def start(self) -> Follower:
        self._thread = threading.Thread(target=self._loop, name="lake-follower", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop between two store requests at the latest; the day in progress stays unpublished."""
        self._stop.set()
        self._cancel.cancel()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_for_pass(self, passes: int, timeout_s: float) -> bool:
        """Whether ``passes`` passes have finished within ``timeout_s`` (tests, the CLI)."""
        with self._passed:
            return self._passed.wait_for(lambda: self.passes >= passes, timeout_s)

    def run_pass(self) -> list[DayResult]:
        """One pass: the lease, then the settled days of the window compacted (current ones skipped)."""
        now = self.clock()
        lease = timedelta(seconds=self.policy.lease_s)
        if not take_lease(self.lake, self.owner, now, lease):
            return []
        today = now.date()
        first: date = today - timedelta(days=self.policy.days_back)

        def renew(result: DayResult, done: int, total: int) -> None:
            take_lease(self.lake, self.owner, self.clock(), lease)

        return compact_range(
            self.raw, self.lake, first, today, cache=self.cache, cancel=self._cancel, progress=renew, now=now
        )

    def _loop(self) -> None:
        _lower_priority()
        while not self._stop.is_set():
            try:
                self.last = self.run_pass()
                written = [str(result.day) for result in self.last if result.status == "written"]
                if written:
                    log.info("flow lake follower compacted days", days=",".join(written))
            except Exception as exc:  # never into a query; the next pass tries again
                if self._stop.is_set():
                    break
                log.warn("flow lake follower pass failed", error=f"{type(exc).__name__}: {exc}")
            with self._passed:
                self.passes += 1
                self._passed.notify_all()
            self._stop.wait(self.policy.interval_s)


def follower_for(
    settings: DatasourceSettings, cache: IngestCache, policy: FollowPolicy | None = None
) -> Follower | None:
    """The (not yet started) follower of a flow-log datasource with a lake location, else None.

    Its stores share one request pacer: the cap holds for the follower's raw and lake requests together.
    """
    if settings.lake is None or settings.source is None or settings.source_format != "flowlogs":
        return None
    chosen = policy or FollowPolicy()
    pacer = RequestPacer(chosen.requests_per_s)
    source = RawSource.of(settings.source, settings.credentials)
    lake = open_lake(settings.lake, settings.source, settings.credentials)
    raw = RawSource(_paced(source.store, pacer), source.prefix, source.context)
    return Follower(raw, LakeSource(_paced(lake.store, pacer), lake.root, lake.source, lake.described), cache, chosen)


def _paced(store: ObjectStore, pacer: RequestPacer) -> ObjectStore:
    """A remote store behind the pacer; a local folder as it is (its reads cost no requests)."""
    return store if isinstance(store, LocalStore) else ThrottledStore(store, pacer)


def _lower_priority() -> None:
    """The calling thread (and the threads it starts) at the lowest CPU priority, where the OS allows it."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
