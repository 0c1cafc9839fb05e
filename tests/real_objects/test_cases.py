"""The hand-made objects are what their README says: IBM-shaped keys, readable or damaged as declared."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from cloudsql_cos_ts.flowlogs.layout import parse_key
from tests.real_objects.cases import CASES, DAMAGED, Case, document_of, write


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_key_is_ibm_shaped(case: Case) -> None:
    parsed = parse_key(case.key)
    assert parsed is not None
    assert parsed.vnic.vpc_id.startswith("crn:v1:bluemix:") and "%3A" in case.key and "%2F" in case.key
    assert parsed.vnic.record_type in ("ingress", "egress")
    assert unquote(case.key.split("/instance-id=")[1].split("/")[0]) == parsed.vnic.instance_id


@pytest.mark.parametrize("case", [c for c in CASES if not c.damaged], ids=lambda c: c.name)
def test_readable_case_is_one_document(case: Case) -> None:
    document = document_of(case)
    assert isinstance(document["flow_logs"], list)


@pytest.mark.parametrize("case", DAMAGED, ids=lambda c: c.name)
def test_damaged_case_cannot_be_read(case: Case) -> None:
    with pytest.raises((OSError, EOFError, ValueError)):
        document_of(case)


def test_write_is_deterministic_and_leaves_damaged_out(tmp_path: Path) -> None:
    first = write(tmp_path / "a")
    write(tmp_path / "b")
    assert [c.name for c in first] == [c.name for c in CASES if not c.damaged]
    for case in first:
        assert (tmp_path / "a" / case.key).read_bytes() == (tmp_path / "b" / case.key).read_bytes() == case.body
    assert len(write(tmp_path / "c", damaged=True)) == len(CASES)
    assert [c.name for c in write(tmp_path / "d", names=["skip_data"])] == ["skip_data"]
