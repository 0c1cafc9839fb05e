from __future__ import annotations

from cloudsql_cos_ts.macros.registry import MACROS
from cloudsql_cos_ts.resources.reference import macro_reference


def test_reference_lists_every_registered_macro_and_ts_function() -> None:
    reference = macro_reference()
    assert [m["name"] for m in reference["macros"]] == [m.name for m in MACROS]
    names = {f["name"] for f in reference["functions"]}
    assert {"TIME_SERIES_FORMAT", "TS_EXPLODE", "TS_SEGMENT_BY_TIME", "TS_SEGMENT", "TS_SEG_SD"} <= names
    for entry in reference["macros"] + reference["functions"]:
        assert set(entry) == {"name", "signature", "description", "example"}
        assert all(isinstance(v, str) and v for v in entry.values())
