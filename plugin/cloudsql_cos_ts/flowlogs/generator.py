"""Deterministic sample VPC flow logs, shaped like the objects IBM's collectors really write.

The shape follows what IBM's own published objects and keys show (the project's notes on real
objects), not the idealised documentation:

* keys: ``vpc-id``, ``subnet-id`` and ``instance-id`` hold URL-encoded CRNs; every vNIC has an
  ``ingress`` and an ``egress`` stream (inbound records in the one, outbound in the other); a
  stream started days before the data and keeps its ``stream-id``; an object is filed under the
  hour its window *ends* in, with a sequence number that restarts in every hour folder;
* capture windows follow the stream's start second, not the clock: five minutes long, sometimes
  cut short by a collector flush (the rest of the slot is the next window), so they straddle
  hours and minutes; an object is written a few seconds after its window closes;
* bodies: compact JSON, records unsorted; about 1 % pretty-printed, about 1 % with unknown extra
  fields, ``state`` mostly ``ok`` with some ``OK`` and ``skip data``; about 2 % empty (``[]``);
  about 0.1 % of records are
  followed by a copy with ``"start_time": ""`` and ``"end_time": ""`` that ``number_of_flow_logs``
  does not count (IBM's beta sample), and about 1 % of other objects miscount by one;
* traffic: DHCP (unicast renewals, broadcast discovery from 0.0.0.0) and DNS to 161.26.0.10, and
  long-running connections that started days earlier and appear in some windows only, with
  cumulative counters that keep growing;
* damaged objects (a truncated gzip, invalid JSON) only when ``damaged`` asks for them.

Traffic is drawn per vNIC and clock-aligned five-minute bucket, then each record goes to the window
that reports it, so the mix guarantees hold per bucket whatever the windows are; this is what the
shipped dashboard shows and what its alert rule needs:

* web traffic from documentation ranges (198.51.100.0/24, 203.0.113.0/24) and public networks of
  several countries and ASes (``_WEB_SOURCES``) on 443/80, accepted; some of it reported late, so a
  record can start before its object's window;
* SSH attempts from 203.0.113.0/24 and public hosting and ISP networks (``_SSH_SOURCES``) on port
  22, rejected, **at most 6 per vNIC and bucket**;
* one port-scanning source (a fixed address in 198.51.100.0/24) against ONE vNIC: **at least 40
  and at most 55 rejected records per bucket**, each on a different port, all starting in the
  bucket's first two seconds (so even a bucket cut short by the query's end holds them all);
* east-west traffic between vNICs and outbound traffic from them, accepted, both directions.

Hence for the alert "rejected connections per target per 5 minutes": the scanned target has
>= 40 in every five-minute bucket, every other target <= 6 (the documented margin is >= 40 vs <= 10).

Each object depends only on (seed, vNIC, window); records are written as text from templates (the
rare pretty-printed or extended bodies through ``json``), which keeps ~1M records to seconds of work.
A local file's modification time is set to the object's write time so a local folder looks to
pruning like a bucket's listing does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from cloudsql_cos_ts.flowlogs.layout import FlowLogKey, VnicPartition, floor_hour, format_key, stream_id_for
from cloudsql_cos_ts.storage.base import ObjectStore

WINDOW_S = 300
SCANNER_MIN, SCANNER_MAX = 40, 55
SSH_MAX = 6
ALERT_MARGIN_LOW, ALERT_MARGIN_HIGH = 40, 10  # documented guarantee: scanned >= 40, others <= 10
REGION = "us-south"
RECORD_TYPES = ("ingress", "egress")
DNS_SERVER = "161.26.0.10"  # IBM Cloud's private DNS resolver
FLUSH_SHARE = 0.04  # windows cut short by a collector flush
LATE_SHARE = 0.3  # web records reported in a later window than the one they started in
EMPTY_TIMES_SHARE = 0.001  # records followed by an uncounted copy with empty times
EMPTY_OBJECT_SHARE = 0.02  # objects of a direction without traffic in their window
MISCOUNT_SHARE = 0.01
PRETTY_SHARE = 0.01
EXTRA_FIELDS_SHARE = 0.01
STATES = (("skip data", 0.005), ("OK", 0.02))  # the rest "ok"
LONG_CONNECTIONS = 2  # per vNIC
STREAM_AGE_S = 3 * 86400  # a stream started about this long before the data
# Public /24s as the bundled enrichment data places them (country, AS), so the dashboard's country and
# network panels have rows: web clients of crawlers, CDNs and ISPs, and SSH probes from hosting and
# ISP networks often seen scanning; the documentation ranges stay in both mixes.
_WEB_SOURCES = (
    "198.51.100", "203.0.113",
    "66.249.66",  # US, AS15169 Google
    "40.77.167",  # US, AS8075 Microsoft
    "2.16.1",  # NL, AS20940 Akamai
    "133.242.1",  # JP, AS7684 SAKURA Internet
    "200.160.2",  # BR, AS22548 NIC.BR
    "41.203.64",  # NG, AS37148 Globacom
    "31.13.64",  # IE, AS32934 Facebook
)
_SSH_SOURCES = (
    "203.0.113",
    "185.220.101",  # DE, AS60729
    "61.177.172",  # CN, AS4134 Chinanet
    "218.92.0",  # CN, AS4134 Chinanet
    "141.98.10",  # LT, AS209605
    "89.248.165",  # NL, AS202425
    "162.142.125",  # US, AS398324 Censys
    "177.54.130",  # BR, AS262456
    "45.227.254",  # PA, AS267784
)
_SCAN_PORTS = (21, 23, 25, 53, 110, 135, 139, 143, 445, 993, 995, 1433, 1521, 2049, 2375, 3000, 3306,
               3389, 5000, 5432, 5601, 5900, 6379, 7001, 8000, 8080, 8081, 8443, 8888, 9000, 9090,
               9200, 9300, 11211, 15672, 27017, 50000, 50070, 61616, 10250, 2379, 4443, 6443, 7443,
               8500, 8834, 9100, 9443, 10000, 1080, 3128, 4444, 5555, 6000, 7777, 8088, 8181, 9999)
_ZONES = (("us-south-1", "0717"), ("us-south-2", "0727"))
_FIRST_SECOND = -62_135_596_800  # 0001-01-01T00:00:00Z: a stream of data in the year 1 starts then

_RECORD = (
    '{{"start_time":"{start}","end_time":"{end}","connection_start_time":"{conn}",'
    '"direction":"{direction}","action":"{action}","initiator_ip":"{iip}","target_ip":"{tip}",'
    '"initiator_port":{iport},"target_port":{tport},"transport_protocol":{proto},"ether_type":"IPv4",'
    '"was_initiated":{initiated},"was_terminated":{terminated},'
    '"bytes_from_initiator":{bi},"packets_from_initiator":{pi},"bytes_from_target":{bt},'
    '"packets_from_target":{pt},"cumulative_bytes_from_initiator":{cbi},'
    '"cumulative_packets_from_initiator":{cpi},"cumulative_bytes_from_target":{cbt},'
    '"cumulative_packets_from_target":{cpt}}}'
)
_HEADER = (
    '{{"version":"0.0.1","collector_crn":"{collector}","attached_endpoint_type":"vnic",'
    '"network_interface_id":"{vnic}","instance_crn":"{instance}","vpc_crn":"{vpc}",'
    '"capture_start_time":"{cstart}","capture_end_time":"{cend}","state":"{state}",'
    '"number_of_flow_logs":{count},"flow_logs":[{records}]}}'
)


@dataclass(frozen=True)
class Vnic:
    partition: VnicPartition  # record_type is set per object
    ip: str
    gateway: str
    instance_crn: str
    vpc_crn: str
    collector_crn: str
    stream_start: int  # epoch seconds the vNIC's streams started; windows follow its second


@dataclass(frozen=True)
class GenerationSummary:
    objects: int
    records: int
    empty_objects: int
    bytes_written: int
    start: datetime
    end: datetime
    scanner_ip: str
    scanned_target: str
    vnics: int
    seconds: float
    damaged_objects: int = 0


@lru_cache(maxsize=8192)
def rfc3339(epoch_s: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_s))


def _uuid_like(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def make_vnics(count: int, seed: int, first_window: int = 0) -> list[Vnic]:
    """``count`` vNICs in two zonal subnets of one VPC, IPs 10.240.<subnet>.<host>, key values as CRNs."""
    rng = random.Random(f"vnics-{seed}")
    account = f"{rng.getrandbits(128):032x}"
    vpc_crn = f"crn:v1:bluemix:public:is:{REGION}:a/{account}::vpc:r006-{_uuid_like(rng)}"
    collector = f"crn:v1:bluemix:public:is:{REGION}:a/{account}::flow-log-collector:r006-{_uuid_like(rng)}"
    subnets = [f"crn:v1:bluemix:public:is:{zone}:a/{account}::subnet:{code}-{_uuid_like(rng)}" for zone, code in _ZONES]
    vnics = []
    for i in range(count):
        subnet = i % 2
        zone, code = _ZONES[subnet]
        instance_crn = f"crn:v1:bluemix:public:is:{zone}:a/{account}::instance:{code}_{_uuid_like(rng)}"
        vnics.append(Vnic(
            partition=VnicPartition(
                account=account, region=REGION, vpc_id=vpc_crn, subnet_id=subnets[subnet],
                endpoint_type="vnics", instance_id=instance_crn, vnic_id=f"{code}-{_uuid_like(rng)}",
                record_type="ingress",
            ),
            ip=f"10.240.{subnet}.{4 + i // 2}",
            gateway=f"10.240.{subnet}.1",
            instance_crn=instance_crn,
            vpc_crn=vpc_crn,
            collector_crn=collector,
            stream_start=max(first_window - STREAM_AGE_S - rng.randrange(0, 86400), _FIRST_SECOND),
        ))
    return vnics


def scanner_of(seed: int, vnics: list[Vnic]) -> tuple[str, Vnic]:
    rng = random.Random(f"scanner-{seed}")
    return f"198.51.100.{rng.randrange(200, 250)}", vnics[rng.randrange(len(vnics))]


@dataclass
class _Flow:
    """One record before it is written: when it starts and which window reports it."""

    start: int
    report: int  # the moment whose window holds the record (start, or later for a late report)
    fields: dict[str, Any]


def _record(start: int, duration: int, conn: int, window_start: int, *, age_windows: int = 1,
            **values: Any) -> str:
    """A record's JSON text; cumulative counters cover ``age_windows`` windows of the same traffic."""
    pi, pt = values.pop("packets")
    size_i, size_t = values.pop("sizes")
    bi, bt = pi * size_i, pt * size_t
    return _RECORD.format(
        start=rfc3339(start), end=rfc3339(start + duration), conn=rfc3339(conn),
        initiated="true" if conn >= window_start else "false", bi=bi, pi=pi, bt=bt, pt=pt,
        cbi=bi * age_windows, cpi=pi * age_windows, cbt=bt * age_windows, cpt=pt * age_windows, **values,
    )


@dataclass
class _Traffic:
    """The flows of one vNIC, drawn per clock-aligned five-minute bucket (cached while windows need them)."""

    seed: int
    vnic: Vnic
    peers: list[str]
    records_per_object: int
    scanner_ip: str | None
    _buckets: dict[int, list[_Flow]] = field(default_factory=dict)

    def flows_reported_in(self, start: int, end: int) -> list[_Flow]:
        first = (start - 90) // WINDOW_S * WINDOW_S  # late reports started up to 90 s earlier
        flows = []
        for bucket in range(first, end, WINDOW_S):
            flows += [f for f in self._bucket(bucket) if start <= f.report < end]
        for bucket in [b for b in self._buckets if b < first]:
            del self._buckets[bucket]
        return flows

    def _bucket(self, bucket: int) -> list[_Flow]:
        found = self._buckets.get(bucket)
        if found is None:
            found = self._buckets[bucket] = self._draw(bucket)
        return found

    def _draw(self, bucket: int) -> list[_Flow]:
        rng = random.Random(f"{self.seed}/{self.vnic.partition.vnic_id}/{bucket}")
        flows: list[_Flow] = []
        total = max(1, round(self.records_per_object * rng.uniform(0.7, 1.3)))
        ssh = min(SSH_MAX, rng.randrange(0, 4) + (rng.random() < 0.2) * 3, total)
        other = (total - ssh) * 35 // 100
        self._web(rng, bucket, total - ssh - other, flows)
        self._ssh(rng, bucket, ssh, flows)
        self._east_west_and_outbound(rng, bucket, other, flows)
        self._infrastructure(rng, bucket, flows)
        if self.scanner_ip is not None:
            self._scan(rng, bucket, self.scanner_ip, flows)
        return flows

    def _flow(self, start: int, duration: int, conn: int, *, report: int | None = None, **values: Any) -> _Flow:
        return _Flow(start, start if report is None else report, {"start": start, "duration": duration,
                                                                    "conn": conn, **values})

    def _web(self, rng: random.Random, bucket: int, count: int, flows: list[_Flow]) -> None:
        ip = self.vnic.ip
        for _ in range(count):
            start = bucket + rng.randrange(0, WINDOW_S)
            late = rng.random() < LATE_SHARE
            conn = start - rng.randrange(60, 7200) if late else start
            flows.append(self._flow(
                start, rng.randrange(1, 5), conn, report=start + rng.randrange(0, 90) if late else None,
                direction="I", action="accepted", iip=f"{rng.choice(_WEB_SOURCES)}.{rng.randrange(1, 200)}", tip=ip,
                iport=rng.randrange(32768, 61000), tport=443 if rng.random() < 0.8 else 80, proto=6,
                packets=(rng.randrange(3, 40), rng.randrange(3, 80)), sizes=(rng.randrange(60, 1400),
                                                                             rng.randrange(60, 1400)),
                terminated="true" if rng.random() < 0.6 else "false",
            ))

    def _ssh(self, rng: random.Random, bucket: int, count: int, flows: list[_Flow]) -> None:
        for _ in range(count):
            start = bucket + rng.randrange(0, WINDOW_S - 5)
            flows.append(self._flow(
                start, rng.randrange(0, 3), start, direction="I", action="rejected",
                iip=f"{rng.choice(_SSH_SOURCES)}.{rng.randrange(1, 254)}", tip=self.vnic.ip,
                iport=rng.randrange(32768, 61000), tport=22, proto=6, packets=(rng.randrange(1, 4), 0), sizes=(60, 60),
                terminated="false",
            ))

    def _scan(self, rng: random.Random, bucket: int, scanner_ip: str, flows: list[_Flow]) -> None:
        for port in rng.sample(_SCAN_PORTS, rng.randrange(SCANNER_MIN, SCANNER_MAX + 1)):
            start = bucket + rng.randrange(0, 2)
            flows.append(self._flow(
                start, 0, start, direction="I", action="rejected", iip=scanner_ip, tip=self.vnic.ip,
                iport=rng.randrange(40000, 60000), tport=port, proto=6, packets=(1, 0), sizes=(60, 60),
                terminated="false",
            ))

    def _east_west_and_outbound(self, rng: random.Random, bucket: int, count: int, flows: list[_Flow]) -> None:
        ip = self.vnic.ip
        for _ in range(count):
            start = bucket + rng.randrange(0, WINDOW_S - 5)
            if self.peers and rng.random() < 0.5:
                peer = rng.choice(self.peers)
                inbound = rng.random() < 0.5
                iip, tip = (peer, ip) if inbound else (ip, peer)
                tport, proto, direction = rng.choice((5432, 8080, 6379)), 6, "I" if inbound else "O"
            else:
                iip, tip, direction = ip, f"198.51.100.{rng.randrange(1, 200)}", "O"
                tport, proto = (53, 17) if rng.random() < 0.3 else (443, 6)
            flows.append(self._flow(
                start, rng.randrange(0, 20), start, direction=direction, action="accepted", iip=iip, tip=tip,
                iport=rng.randrange(32768, 61000), tport=tport, proto=proto,
                packets=(rng.randrange(1, 30), rng.randrange(1, 30)),
                sizes=(rng.randrange(60, 1400), rng.randrange(60, 1400)),
                terminated="true" if rng.random() < 0.7 else "false",
            ))

    def _infrastructure(self, rng: random.Random, bucket: int, flows: list[_Flow]) -> None:
        """DNS lookups to IBM's resolver (most buckets) and DHCP (a renewal or a discovery now and then)."""
        ip = self.vnic.ip
        for _ in range(rng.randrange(0, 3)):
            start = bucket + rng.randrange(0, WINDOW_S - 30)
            flows.append(self._flow(
                start, rng.randrange(0, 25), start, direction="O", action="accepted", iip=ip, tip=DNS_SERVER,
                iport=rng.randrange(32768, 61000), tport=53, proto=17, packets=(rng.randrange(1, 5),
                                                                                rng.randrange(1, 5)),
                sizes=(72, rng.randrange(100, 160)), terminated="true",
            ))
        if rng.random() < 0.08:
            start = bucket + rng.randrange(0, WINDOW_S - 30)
            discovery = rng.random() < 0.25  # from 0.0.0.0 to the broadcast address, no answer
            flows.append(self._flow(
                start, rng.randrange(5, 160), start, direction="O", action="accepted",
                iip="0.0.0.0" if discovery else ip, tip="255.255.255.255" if discovery else self.vnic.gateway,
                iport=68, tport=67, proto=17, packets=(4, 0 if discovery else 4), sizes=(342, 320),
                terminated="true" if discovery else "false",
            ))


def _long_connections(seed: int, vnic: Vnic, window_start: int, window_end: int) -> list[_Flow]:
    """Connections open for days: a record in about half of the windows, cumulative counters growing."""
    flows = []
    for index in range(LONG_CONNECTIONS):
        rng = random.Random(f"{seed}/{vnic.partition.vnic_id}/long{index}")
        conn = vnic.stream_start + rng.randrange(0, 3600)
        peer = f"203.0.113.{rng.randrange(200, 250)}"
        tport, outbound = rng.choice(((443, True), (22, False), (5432, False)))
        here = random.Random(f"{seed}/{vnic.partition.vnic_id}/long{index}/{window_start}")
        if here.random() < 0.5:
            continue
        start = window_start + here.randrange(0, max(1, window_end - window_start - 10))
        flows.append(_Flow(start, start, {
            "start": start, "duration": here.randrange(0, window_end - start), "conn": conn,
            "age_windows": max(1, (start - conn) // WINDOW_S // 2),
            "direction": "O" if outbound else "I", "action": "accepted",
            "iip": vnic.ip if outbound else peer, "tip": peer if outbound else vnic.ip,
            "iport": rng.randrange(32768, 61000), "tport": tport, "proto": 6,
            "packets": (here.randrange(1, 50), here.randrange(1, 50)), "sizes": (200, 900), "terminated": "false",
        }))
    return flows


def _windows(vnic: Vnic, seed: int, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The vNIC's capture windows covering ``[start, end)``: five-minute slots from its stream's start
    second, a few cut short by a flush (the slot's rest is the next window). The first and last slots
    are cut at ``start`` and ``end``, so no record lies outside the span (none in the future when it
    ends now)."""
    offset = vnic.stream_start % WINDOW_S
    slot = (start - offset) // WINDOW_S * WINDOW_S + offset
    while slot < end:
        rng = random.Random(f"{seed}/{vnic.partition.vnic_id}/slot/{slot}")
        cut = slot + rng.randrange(60, WINDOW_S - 60) if rng.random() < FLUSH_SHARE else slot + WINDOW_S
        for window_start, window_end in ((slot, cut), (cut, slot + WINDOW_S)):
            if max(window_start, start) < min(window_end, end):
                yield max(window_start, start), min(window_end, end)
        slot += WINDOW_S


@dataclass(frozen=True)
class _Body:
    data: bytes
    records: int


def build_object(seed: int, vnic: Vnic, record_type: str, window: tuple[int, int], flows: list[_Flow], *,
                 may_be_empty: bool = True) -> _Body:
    """The gzip JSON document of one vNIC, record type and window, and its record count."""
    window_start, window_end = window
    rng = random.Random(f"{seed}/{vnic.partition.vnic_id}/{record_type}/{window_start}")
    wanted = "I" if record_type == "ingress" else "O"
    records = []
    empty_copies = 0
    quiet = may_be_empty and rng.random() < EMPTY_OBJECT_SHARE
    for flow in flows:
        if quiet or flow.fields["direction"] != wanted:
            continue
        values = dict(flow.fields)
        start, duration = values.pop("start"), values.pop("duration")
        text = _record(start, duration, values.pop("conn"), window_start, **values)
        records.append(text)
        if rng.random() < EMPTY_TIMES_SHARE:  # IBM's beta sample: an uncounted copy without its times
            times = f'"start_time":"{rfc3339(start)}","end_time":"{rfc3339(start + duration)}"'
            records.append(text.replace(times, '"start_time":"","end_time":""', 1))
            empty_copies += 1
    rng.shuffle(records)  # IBM does not sort records inside an object
    count = len(records) - empty_copies
    if not empty_copies and records and rng.random() < MISCOUNT_SHARE:
        count += rng.choice((-1, 1))
    roll, state = rng.random(), "ok"
    for name, share in STATES:
        if roll < share:
            state = name
            break
    document = _HEADER.format(
        collector=vnic.collector_crn, vnic=vnic.partition.vnic_id, instance=vnic.instance_crn, vpc=vnic.vpc_crn,
        cstart=rfc3339(window_start), cend=rfc3339(window_end), state=state, count=count, records=",".join(records),
    )
    if rng.random() < EXTRA_FIELDS_SHARE or rng.random() < PRETTY_SHARE:
        document = _reshaped(document, vnic, rng)
    return _Body(gzip.compress(document.encode(), compresslevel=5, mtime=0), len(records))


def _reshaped(document: str, vnic: Vnic, rng: random.Random) -> str:
    """The rare body written differently: unknown fields IBM's prototypes emitted, or pretty-printed."""
    parsed = json.loads(document)
    if rng.random() < 0.5:
        parsed = {**{k: v for k, v in parsed.items() if k != "flow_logs"}, "vsi_crn": vnic.instance_crn,
                  "flow_logs": [{**r, "ip_protocol": r["transport_protocol"]} for r in parsed["flow_logs"]]}
        return json.dumps(parsed, separators=(",", ":"))
    return json.dumps(parsed, indent=2) + "\n"


def _damage(data: bytes, index: int) -> bytes:
    """A truncated gzip, or gzip of IBM's documentation example (invalid JSON: commas missing)."""
    if index % 2 == 0:
        return data[: len(data) // 2]
    return gzip.compress(b'{"version": "0.0.1" "flow_logs": [{"start_time": "2020-07-01T20:00:00Z",}]}', mtime=0)


def resolve_span(days: float, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """``[start, end)``; by default the ``days`` that end at the current five-minute mark."""
    if end is None:
        now = int(time.time()) // WINDOW_S * WINDOW_S
        end = start + timedelta(days=days) if start else datetime.fromtimestamp(now, tz=UTC)
    if start is None:
        start = end - timedelta(days=days)
    if start >= end:
        raise ValueError("the generated time span is empty: start must be before end")
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass
class _Counts:
    objects: int = 0
    records: int = 0
    empty: int = 0
    written: int = 0
    damaged: int = 0


def generate(
    destination: Path | ObjectStore,
    *,
    vnics: int = 4,
    days: float = 1.0,
    start: datetime | None = None,
    end: datetime | None = None,
    records_per_object: int = 40,
    seed: int = 42,
    prefix: str = "",
    damaged: int = 0,
    progress: bool = False,
) -> GenerationSummary:
    """Write sample flow-log objects (keys below ``prefix``) whose windows cover ``[start, end)``;
    ``damaged`` objects, spread over the span, are written unreadable."""
    began = time.monotonic()
    if vnics < 1 or records_per_object < 1 or damaged < 0:
        raise ValueError("vnics and records_per_object must be at least 1, damaged at least 0")
    span_start, span_end = resolve_span(days, start, end)
    first, last = int(span_start.timestamp()), int(span_end.timestamp())
    all_vnics = make_vnics(vnics, seed, first)
    scanner_ip, scanned = scanner_of(seed, all_vnics)
    windows = {vnic.partition.vnic_id: list(_windows(vnic, seed, first, last)) for vnic in all_vnics}
    total = 2 * sum(len(w) for w in windows.values())
    every = max(1, total // damaged) if damaged else 0
    counts = _Counts()
    bar = _progress_bar(total, progress)
    for vnic in all_vnics:
        traffic = _Traffic(seed, vnic, [v.ip for v in all_vnics if v is not vnic], records_per_object,
                           scanner_ip if vnic is scanned else None)
        sequences: dict[tuple[str, datetime], int] = {}
        for window in windows[vnic.partition.vnic_id]:
            flows = traffic.flows_reported_in(*window) + _long_connections(seed, vnic, *window)
            for offset, record_type in enumerate(RECORD_TYPES):
                body = build_object(seed, vnic, record_type, window, flows, may_be_empty=vnic is not scanned)
                hour = floor_hour(datetime.fromtimestamp(window[1], tz=UTC))  # filed when written
                sequence = sequences.get((record_type, hour), 0)
                sequences[(record_type, hour)] = sequence + 1
                stream = stream_id_for(datetime.fromtimestamp(vnic.stream_start + 7 * offset, tz=UTC))
                key = prefix + format_key(FlowLogKey(vnic.partition._replace(record_type=record_type), hour, stream,
                                                     sequence))
                data = body.data
                if every and counts.objects % every == every // 2 and counts.damaged < damaged:
                    data, counts.damaged = _damage(data, counts.damaged), counts.damaged + 1
                written_at = window[1] + 5 + (window[0] + offset) % 20
                _write(destination, key, data, written_at)
                counts.objects += 1
                counts.records += body.records
                counts.empty += body.records == 0
                counts.written += len(data)
                if bar is not None:
                    bar.update(1)
    if bar is not None:
        bar.close()
    return GenerationSummary(
        objects=counts.objects, records=counts.records, empty_objects=counts.empty, bytes_written=counts.written,
        start=span_start, end=span_end, scanner_ip=scanner_ip, scanned_target=scanned.ip, vnics=vnics,
        seconds=round(time.monotonic() - began, 3), damaged_objects=counts.damaged,
    )


def _write(destination: Path | ObjectStore, key: str, data: bytes, written_at: int) -> None:
    if isinstance(destination, Path):
        path = destination.joinpath(*key.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (written_at, written_at))
    else:
        destination.put(key, data)


def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="obj", file=sys.stderr, desc="flow-log objects")


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="generate-flowlogs",
        description="Write deterministic sample IBM Cloud VPC flow logs (gzip JSON, IBM key layout) to a folder.",
    )
    parser.add_argument("out", type=Path, help="folder to write into (created; laid out like the bucket)")
    parser.add_argument("--vnics", type=int, default=4, help="number of vNICs (default 4)")
    parser.add_argument("--days", type=float, default=1.0, help="days of data ending now (default 1)")
    parser.add_argument("--start", type=_parse_time, help="start of the data (RFC 3339); overrides --days")
    parser.add_argument("--end", type=_parse_time, help="end of the data (RFC 3339)")
    parser.add_argument("--records-per-object", type=int, default=40,
                        help="average records per vNIC and window, over its ingress and egress objects")
    parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same bytes)")
    parser.add_argument("--damaged", type=int, default=0, help="objects to write unreadable (default 0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    summary = generate(
        args.out.resolve(), vnics=args.vnics, days=args.days, start=args.start, end=args.end,
        records_per_object=args.records_per_object, seed=args.seed, damaged=args.damaged,
        progress=not args.no_progress,
    )
    print(
        f"wrote {summary.objects} objects ({summary.empty_objects} empty, {summary.damaged_objects} damaged), "
        f"{summary.records} records, {summary.bytes_written} bytes in {summary.seconds:.1f} s; "
        f"{summary.start:%Y-%m-%dT%H:%M:%SZ} .. {summary.end:%Y-%m-%dT%H:%M:%SZ}; "
        f"scanner {summary.scanner_ip} -> {summary.scanned_target}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
