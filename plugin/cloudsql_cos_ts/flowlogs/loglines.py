"""Flow records as log lines (the *Logs* format): what a network engineer reads first, in a fixed order.

A line is ``ACTION protocol initiator:port → target:port size packets direction vNIC``, e.g.
``REJECT tcp 198.51.100.7:51514 → 10.240.0.4:22 120 B 2 pkts ingress 0717-1a2b…``:

- ``ACCEPT``/``REJECT`` from ``action`` (another value upper-cased);
- the protocol's IANA name in lower case (``tcp``, ``udp``, ``icmp``), its number when unnamed;
- the bytes and packets of both ends in the record's window added up; sizes in decimal units
  (``B``, ``KB`` = 1000 B, ``MB``, ``GB``, ``TB``, one decimal from KB up);
- ``ingress``/``egress`` from ``direction`` (``I``/``O``), the vNIC id last.

A column the query did not select leaves its piece out; a NULL value shows as ``-``, so the pieces
never shift. The labels are the few values worth filtering on and low in cardinality: ``action``,
``direction``, ``protocol``, ``vnic`` and ``instance`` (the last piece of ``instance_crn``); a NULL
value leaves its label out. The level follows the action: a rejected flow is a ``warning``, an
accepted one ``info``, so Explore colours the blocked traffic.

The time is the record's ``start_time`` (the query's Time Column wins when set); a record whose
``start_time`` is empty has no time and is left out with a warning, as in a time series.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cloudsql_cos_ts.enrichment.data import protocol_names
from cloudsql_cos_ts.frames.logs import LABELS_TYPE, LineParts, LogStyle

TIME_COLUMN = "start_time"
_REQUIRED = (TIME_COLUMN, "action", "initiator_ip", "target_ip")
_MISSING = "-"
_ARROW = "→"
_UNITS = ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB"))


def flow_log_style(table: pa.Table) -> LogStyle | None:
    """The flow-record style when the result has a record's time, action and both addresses."""
    names = {name.lower() for name in table.column_names}
    return LogStyle(TIME_COLUMN, flow_lines) if all(n in names for n in _REQUIRED) else None


def _column(table: pa.Table, name: str) -> pa.Array | None:
    """A column by name, ignoring case (engines differ in case), or None when not selected."""
    for index, candidate in enumerate(table.column_names):
        if candidate.lower() == name:
            return table.column(index).combine_chunks()
    return None


def _text(values: pa.Array) -> pa.Array:
    return values if pa.types.is_string(values.type) else values.cast(pa.string())


def _mapped(values: pa.Array, mapping: dict[str, str], other: pa.Array) -> pa.Array:
    """``mapping`` applied to text values, ``other`` where no key matches."""
    text = _text(values)
    out = other
    for key, replacement in mapping.items():
        out = pc.if_else(pc.equal(pc.utf8_lower(text), key), replacement, out)
    return out


def _endpoint(table: pa.Table, ip: pa.Array, port_name: str) -> pa.Array:
    address = pc.fill_null(_text(ip), _MISSING)
    port = _column(table, port_name)
    if port is None:
        return address
    return pc.binary_join_element_wise(address, pc.fill_null(_text(port), _MISSING), ":")


def _protocol(numbers: pa.Array) -> pa.Array:
    named = pc.utf8_lower(protocol_names().take(numbers))
    return pc.coalesce(named, _text(numbers))


def _sum(table: pa.Table, names: tuple[str, str]) -> pa.Array | None:
    """Both ends' counters added (a NULL end counts 0); NULL where both are NULL; None when neither is selected."""
    columns = [c.cast(pa.int64()) for c in (_column(table, n) for n in names) if c is not None]
    if not columns:
        return None
    total = columns[0] if len(columns) == 1 else pc.add(pc.fill_null(columns[0], 0), pc.fill_null(columns[1], 0))
    if len(columns) == 2:
        total = pc.if_else(
            pc.and_(pc.is_null(columns[0]), pc.is_null(columns[1])), pa.scalar(None, pa.int64()), total
        )
    return total


def _size(total: pa.Array) -> pa.Array:
    """``120 B``, ``1.2 KB``, ``3.4 MB``: decimal units, one decimal from KB up."""
    scaled = pc.binary_join_element_wise(_text(total), "B", " ")
    as_float = total.cast(pa.float64())
    for limit, unit in reversed(_UNITS):  # the biggest unit that fits wins: applied last
        in_unit = pc.binary_join_element_wise(_one_decimal(pc.divide(as_float, limit)), unit, " ")
        # 999.95 KB would round to "1000.0 KB": from there on it is "1.0 MB" (bytes are whole: no such edge)
        threshold = limit if limit == _UNITS[-1][0] else limit * (1 - 0.05 / 1000)
        scaled = pc.if_else(pc.greater_equal(as_float, threshold), in_unit, scaled)
    return pc.fill_null(scaled, _MISSING)


def _one_decimal(values: pa.Array) -> pa.Array:
    """``1.2``, ``12.0``: always one decimal (a float's own text would drop ``.0``)."""
    tenths = pc.round(pc.multiply(values, 10.0)).cast(pa.int64())
    whole = pc.divide(tenths, 10).cast(pa.string())
    return pc.binary_join_element_wise(whole, pc.remainder(tenths, 10).cast(pa.string()), ".")


def _packets(total: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(pc.fill_null(_text(total), _MISSING), "pkts", " ")


def _labels(pairs: list[tuple[str, pa.Array]], rows: int) -> pa.Array:
    """A map per row of the pairs whose value is not NULL, in the order given."""
    if not pairs:
        return pa.array([[]] * rows, type=LABELS_TYPE)
    width = len(pairs)
    values = pa.concat_arrays([_text(v) for _, v in pairs])  # column after column
    valid = np.asarray(values.is_valid().to_numpy(zero_copy_only=False))
    row_major = (np.arange(width)[None, :] * rows + np.arange(rows)[:, None]).ravel()
    kept = row_major[valid[row_major]]
    counts = valid.reshape(width, rows).sum(axis=0)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), type=pa.int32())
    keys = pa.array([k for k, _ in pairs], pa.string()).take(pa.array(kept // rows))  # slot k * rows + row
    return pa.MapArray.from_arrays(offsets, keys, values.take(pa.array(kept)), type=LABELS_TYPE)


def flow_lines(table: pa.Table) -> LineParts:
    """The body, level and labels of each flow record (see the module docstring for the layout)."""
    rows = table.num_rows
    action = _column(table, "action")
    assert action is not None  # flow_log_style checked the required columns
    pieces = [_mapped(action, {"accepted": "ACCEPT", "rejected": "REJECT"}, pc.utf8_upper(_text(action)))]
    labels: list[tuple[str, pa.Array]] = [("action", _text(action))]
    protocol = _column(table, "transport_protocol")
    if protocol is not None:
        name = _protocol(protocol)
        pieces.append(name)
        labels.append(("protocol", name))
    for ip_name, port_name in (("initiator_ip", "initiator_port"), ("target_ip", "target_port")):
        ip = _column(table, ip_name)
        assert ip is not None
        pieces.append(_endpoint(table, ip, port_name))
    pieces.insert(len(pieces) - 1, pa.array([_ARROW] * rows, type=pa.string()))
    size = _sum(table, ("bytes_from_initiator", "bytes_from_target"))
    if size is not None:
        pieces.append(_size(size))
    packets = _sum(table, ("packets_from_initiator", "packets_from_target"))
    if packets is not None:
        pieces.append(_packets(packets))
    direction = _column(table, "direction")
    if direction is not None:
        named = _mapped(direction, {"i": "ingress", "o": "egress"}, _text(direction))
        pieces.append(named)
        labels.insert(1, ("direction", named))
    vnic = _column(table, "network_interface_id")
    if vnic is None:
        vnic = _column(table, "vnic-id")
    if vnic is not None:
        pieces.append(_text(vnic))
        labels.append(("vnic", _text(vnic)))
    crn = _column(table, "instance_crn")
    if crn is not None:
        labels.append(("instance", pc.replace_substring_regex(_text(crn), r"^.*:", "")))
    body = pc.binary_join_element_wise(*[pc.fill_null(piece, _MISSING) for piece in pieces], " ")
    severity = _mapped(action, {"accepted": "info", "rejected": "warning"}, pa.nulls(rows, pa.string()))
    return LineParts(body=body, severity=severity, labels=_labels(labels, rows))
