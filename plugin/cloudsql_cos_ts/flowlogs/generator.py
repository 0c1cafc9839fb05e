"""Deterministic sample VPC flow logs, laid out exactly like IBM's bucket.

One gzip JSON document (header + ``flow_logs``) per vNIC every five minutes. The traffic mix is
chosen so that the shipped dashboard has something to show and its alert rule has one right answer:

* web traffic from public documentation ranges (198.51.100.0/24, 203.0.113.0/24) to every vNIC on
  443/80, accepted, some of it continuing connections whose record starts before the capture window;
* SSH attempts from 203.0.113.0/24 to every vNIC on port 22, rejected, **at most 6 per vNIC and
  window**, all starting inside the window;
* one port-scanning source (a fixed address in 198.51.100.0/24) against ONE vNIC: **at least 40 and
  at most 55 rejected records per window**, each on a different port, all starting in the first two
  seconds of the window (so even a five-minute bucket cut short by the query's end holds them all);
* east-west traffic between vNICs and outbound traffic from them, accepted, both directions.

Hence for the alert "rejected connections per target per 5 minutes": the scanned target has
>= 40 in every five-minute bucket, every other target <= 6 (the documented margin is >= 40 vs <= 10).
Objects with no traffic (empty ``flow_logs``) appear about once in fifty windows on other vNICs.

Each object's content depends only on (seed, vNIC, window), and records are written as text from
templates rather than through ``json.dumps``, which keeps ~1M records to seconds of work. A local
file's modification time is set to the object's write time (capture end + a few seconds) so a local
folder looks to pruning like a bucket's listing does.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
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
_WEB_SOURCES = ("198.51.100", "203.0.113")
_SCAN_PORTS = (21, 23, 25, 53, 110, 135, 139, 143, 445, 993, 995, 1433, 1521, 2049, 2375, 3000, 3306,
               3389, 5000, 5432, 5601, 5900, 6379, 7001, 8000, 8080, 8081, 8443, 8888, 9000, 9090,
               9200, 9300, 11211, 15672, 27017, 50000, 50070, 61616, 10250, 2379, 4443, 6443, 7443,
               8500, 8834, 9100, 9443, 10000, 1080, 3128, 4444, 5555, 6000, 7777, 8088, 8181, 9999)

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
    partition: VnicPartition
    ip: str
    instance_crn: str
    vpc_crn: str
    collector_crn: str


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


@lru_cache(maxsize=8192)
def rfc3339(epoch_s: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_s))


def _uuid_like(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def make_vnics(count: int, seed: int) -> list[Vnic]:
    """``count`` vNICs in two subnets of one VPC, IPs 10.240.<subnet>.<host>."""
    rng = random.Random(f"vnics-{seed}")
    account = f"{rng.getrandbits(128):032x}"
    vpc_crn = f"crn:v1:bluemix:public:is:{REGION}:a/{account}::vpc:r006-{_uuid_like(rng)}"
    collector = f"crn:v1:bluemix:public:is:{REGION}:a/{account}::flow-log-collector:r006-{_uuid_like(rng)}"
    subnets = [f"0717-{_uuid_like(rng)}" for _ in range(2)]
    vnics = []
    for i in range(count):
        instance_id = f"0717_{_uuid_like(rng)}"
        subnet = i % 2
        vnics.append(Vnic(
            partition=VnicPartition(
                account=account, region=REGION, vpc_id=vpc_crn, subnet_id=subnets[subnet],
                endpoint_type="vnics", instance_id=instance_id, vnic_id=f"0717-{_uuid_like(rng)}",
                record_type="all",
            ),
            ip=f"10.240.{subnet}.{4 + i // 2}",
            instance_crn=f"crn:v1:bluemix:public:is:{REGION}-{subnet + 1}:a/{account}::instance:{instance_id}",
            vpc_crn=vpc_crn,
            collector_crn=collector,
        ))
    return vnics


def scanner_of(seed: int, vnics: list[Vnic]) -> tuple[str, Vnic]:
    rng = random.Random(f"scanner-{seed}")
    return f"198.51.100.{rng.randrange(200, 250)}", vnics[rng.randrange(len(vnics))]


class _Window:
    """Builds the records of one object; every choice comes from one seeded generator."""

    def __init__(self, rng: random.Random, start: int, vnic: Vnic, peers: list[str]) -> None:
        self.rng, self.start, self.vnic, self.peers = rng, start, vnic, peers
        self.records: list[str] = []

    def add(self, *, start: int, duration: int, conn: int, direction: str, action: str, iip: str, tip: str,
            iport: int, tport: int, proto: int, packets: tuple[int, int], terminated: bool) -> None:
        rng = self.rng
        pi, pt = packets
        bi, bt = pi * rng.randrange(60, 1400), pt * rng.randrange(60, 1400)
        age = max(1, (start - conn) // 60 + 1)
        self.records.append(_RECORD.format(
            start=rfc3339(start), end=rfc3339(start + duration), conn=rfc3339(conn), direction=direction,
            action=action, iip=iip, tip=tip, iport=iport, tport=tport, proto=proto,
            initiated="true" if conn >= self.start else "false", terminated="true" if terminated else "false",
            bi=bi, pi=pi, bt=bt, pt=pt, cbi=bi * age, cpi=pi * age, cbt=bt * age, cpt=pt * age,
        ))

    def web(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            src = f"{rng.choice(_WEB_SOURCES)}.{rng.randrange(1, 200)}"
            if rng.random() < 0.3:  # a continuing connection: its record may start before the window
                start = self.start - rng.randrange(0, 90)
                conn = start - rng.randrange(60, 7200)
            else:
                start = conn = self.start + rng.randrange(0, WINDOW_S - 5)
            self.add(start=start, duration=rng.randrange(1, 5), conn=conn, direction="I", action="accepted",
                     iip=src, tip=self.vnic.ip, iport=rng.randrange(32768, 61000),
                     tport=443 if rng.random() < 0.8 else 80, proto=6,
                     packets=(rng.randrange(3, 40), rng.randrange(3, 80)), terminated=rng.random() < 0.6)

    def ssh_rejected(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            start = self.start + rng.randrange(0, WINDOW_S - 5)
            self.add(start=start, duration=rng.randrange(0, 3), conn=start, direction="I", action="rejected",
                     iip=f"203.0.113.{rng.randrange(1, 254)}", tip=self.vnic.ip,
                     iport=rng.randrange(32768, 61000), tport=22, proto=6,
                     packets=(rng.randrange(1, 4), 0), terminated=False)

    def scan(self, scanner_ip: str) -> None:
        rng = self.rng
        ports = rng.sample(_SCAN_PORTS, rng.randrange(SCANNER_MIN, SCANNER_MAX + 1))
        for port in ports:
            start = self.start + rng.randrange(0, 2)
            self.add(start=start, duration=0, conn=start, direction="I", action="rejected", iip=scanner_ip,
                     tip=self.vnic.ip, iport=rng.randrange(40000, 60000), tport=port, proto=6,
                     packets=(1, 0), terminated=False)

    def outbound_and_east_west(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            start = self.start + rng.randrange(0, WINDOW_S - 5)
            if self.peers and rng.random() < 0.5:
                peer = rng.choice(self.peers)
                inbound = rng.random() < 0.5
                iip, tip = (peer, self.vnic.ip) if inbound else (self.vnic.ip, peer)
                tport, proto, direction = rng.choice((5432, 8080, 6379)), 6, "I" if inbound else "O"
            else:
                iip, tip, direction = self.vnic.ip, f"198.51.100.{rng.randrange(1, 200)}", "O"
                tport, proto = (53, 17) if rng.random() < 0.3 else (443, 6)
            self.add(start=start, duration=rng.randrange(0, 20), conn=start, direction=direction,
                     action="accepted", iip=iip, tip=tip, iport=rng.randrange(32768, 61000), tport=tport,
                     proto=proto, packets=(rng.randrange(1, 30), rng.randrange(1, 30)),
                     terminated=rng.random() < 0.7)


def build_object(seed: int, vnic: Vnic, window_start: int, *, records_per_object: int, peers: list[str],
                 scanner_ip: str | None) -> tuple[bytes, int]:
    """The gzip JSON document of one vNIC and window, and its record count."""
    rng = random.Random(f"{seed}/{vnic.partition.vnic_id}/{window_start}")
    window = _Window(rng, window_start, vnic, peers)
    empty = scanner_ip is None and rng.random() < 0.02
    if not empty:
        total = max(1, round(records_per_object * rng.uniform(0.7, 1.3)))
        ssh = min(SSH_MAX, rng.randrange(0, 4) + (rng.random() < 0.2) * 3, total)
        other = (total - ssh) * 35 // 100
        window.web(total - ssh - other)
        window.ssh_rejected(ssh)
        window.outbound_and_east_west(other)
        if scanner_ip is not None:
            window.scan(scanner_ip)
        rng.shuffle(window.records)  # IBM does not sort records inside an object
    document = _HEADER.format(
        collector=vnic.collector_crn, vnic=vnic.partition.vnic_id, instance=vnic.instance_crn, vpc=vnic.vpc_crn,
        cstart=rfc3339(window_start), cend=rfc3339(window_start + WINDOW_S), state="ok",
        count=len(window.records), records=",".join(window.records),
    )
    return gzip.compress(document.encode(), compresslevel=5, mtime=0), len(window.records)


def _windows(start: datetime, end: datetime) -> Iterator[int]:
    first = int(start.timestamp()) // WINDOW_S * WINDOW_S
    yield from range(first, int(end.timestamp()), WINDOW_S)


def _write_time(seed: int, window_start: int) -> int:
    """When IBM would have written the object: a few seconds after the capture window closed."""
    digest = hashlib.blake2b(f"{seed}/{window_start}".encode(), digest_size=2).digest()
    return window_start + WINDOW_S + 5 + digest[0] % 20


def resolve_span(days: float, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """``[start, end)`` aligned to windows; by default the ``days`` that end at the current window."""
    if end is None:
        now = int(time.time()) // WINDOW_S * WINDOW_S
        end = start + timedelta(days=days) if start else datetime.fromtimestamp(now, tz=UTC)
    if start is None:
        start = end - timedelta(days=days)
    if start >= end:
        raise ValueError("the generated time span is empty: start must be before end")
    return start.astimezone(UTC), end.astimezone(UTC)


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
    progress: bool = False,
) -> GenerationSummary:
    """Write sample flow-log objects to a local folder or an object store (keys below ``prefix``)."""
    began = time.monotonic()
    if vnics < 1 or records_per_object < 1:
        raise ValueError("vnics and records_per_object must be at least 1")
    span_start, span_end = resolve_span(days, start, end)
    all_vnics = make_vnics(vnics, seed)
    scanner_ip, scanned = scanner_of(seed, all_vnics)
    windows = list(_windows(span_start, span_end))
    objects = records = empty = written = 0
    bar = _progress_bar(len(windows) * vnics, progress)
    for vnic in all_vnics:
        peers = [v.ip for v in all_vnics if v is not vnic]
        stream: tuple[datetime, str, int] | None = None
        for window_start in windows:
            hour = floor_hour(datetime.fromtimestamp(window_start, tz=UTC))
            if stream is None or stream[0] != hour:
                stream = (hour, stream_id_for(datetime.fromtimestamp(_write_time(seed, window_start), tz=UTC)), 0)
            stream = (stream[0], stream[1], stream[2] + 1)
            data, count = build_object(seed, vnic, window_start, records_per_object=records_per_object, peers=peers,
                                       scanner_ip=scanner_ip if vnic is scanned else None)
            key = prefix + format_key(FlowLogKey(vnic.partition, hour, stream[1], stream[2]))
            _write(destination, key, data, _write_time(seed, window_start))
            objects, records, empty, written = objects + 1, records + count, empty + (count == 0), written + len(data)
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return GenerationSummary(
        objects=objects, records=records, empty_objects=empty, bytes_written=written, start=span_start,
        end=span_end, scanner_ip=scanner_ip, scanned_target=scanned.ip, vnics=vnics,
        seconds=round(time.monotonic() - began, 3),
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
    parser.add_argument("--start", type=_parse_time, help="first capture window (RFC 3339); overrides --days")
    parser.add_argument("--end", type=_parse_time, help="end of the last capture window (RFC 3339)")
    parser.add_argument("--records-per-object", type=int, default=40, help="average records per object")
    parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same bytes)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    summary = generate(
        args.out.resolve(), vnics=args.vnics, days=args.days, start=args.start, end=args.end,
        records_per_object=args.records_per_object, seed=args.seed, progress=not args.no_progress,
    )
    print(
        f"wrote {summary.objects} objects ({summary.empty_objects} empty), {summary.records} records, "
        f"{summary.bytes_written} bytes in {summary.seconds:.1f} s; {summary.start:%Y-%m-%dT%H:%M:%SZ} .. "
        f"{summary.end:%Y-%m-%dT%H:%M:%SZ}; scanner {summary.scanner_ip} -> {summary.scanned_target}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
