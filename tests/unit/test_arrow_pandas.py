"""pyarrow without pandas until a value needs it (``arrow_pandas.py``).

Each case runs in its own interpreter: pyarrow asks about pandas once per process, so the order of
imports and conversions is the thing under test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

NANOS = 1714989600123456789  # a time with a sub-microsecond part: only pandas' Timestamp holds it


def _run(script: str) -> Any:
    preamble = "import json, sys\nimport numpy as np\nimport pyarrow as pa\nimport pyarrow.compute as pc\n"
    preamble += "from cloudsql_cos_ts.arrow_pandas import python_values, settle_without_pandas\n"
    done = subprocess.run(
        [sys.executable, "-c", preamble + script], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout)


CONVERSIONS = """
settle_without_pandas()
converted = {
    "list": pa.array([1, None, 3]).to_pylist(),
    "text": pa.array(["a", None], pa.string()).to_pylist(),
    "numpy": pa.array(np.arange(3)).to_pylist(),
    "table": pa.table({"a": [1, 2]}).to_pydict(),
    "compute": pc.add(pa.array([1, 2]), 1).to_pylist(),
    "python values": python_values(pa.table({"a": [1], "t": pa.array([1000], pa.timestamp("ns"))})),
}
loaded_by_conversions = "pandas" in sys.modules
import pandas as pd
frame = pa.Table.from_pandas(pd.DataFrame({"a": [1, 2]}), preserve_index=False)
series = pa.array(pd.Series([1.5, None]))
answer = [converted, loaded_by_conversions, frame.to_pydict(), series.to_pylist(), str(series.type)]
print(json.dumps(answer, default=str))
"""


@pytest.mark.parametrize("pandas_first", [False, True], ids=["settled-before-pandas", "pandas-already-imported"])
def test_pyarrow_converts_the_same_after_the_probe_and_still_takes_pandas_objects(pandas_first: bool) -> None:
    converted, loaded, frame, series, series_type = _run(("import pandas\n" if pandas_first else "") + CONVERSIONS)
    assert converted == {
        "list": [1, None, 3],
        "text": ["a", None],
        "numpy": [0, 1, 2],
        "table": {"a": [1, 2]},
        "compute": [2, 3],
        "python values": [{"a": 1, "t": "1970-01-01 00:00:00.000001"}],
    }
    assert loaded is pandas_first
    assert (frame, series, series_type) == ({"a": [1, 2]}, [1.5, None], "double")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (f"pa.array([{NANOS}], pa.timestamp('ns'))", [NANOS]),
        (f"pa.array([{NANOS}], pa.timestamp('ns', tz='UTC'))", [NANOS]),
        (f"pa.table({{'s': pa.array([{{'a': {NANOS}}}], pa.struct([('a', pa.timestamp('ns'))]))}})", [NANOS]),
    ],
    ids=["plain", "with zone", "nested in a table"],
)
def test_a_value_only_pandas_holds_has_pyarrow_take_pandas_back(values: str, expected: list[int]) -> None:
    script = f"""
settle_without_pandas()
values = {values}
try:
    values.to_pylist()
    plain = "converted"
except ValueError:
    plain = "refused"
rows = python_values(values)
stamps = [row["s"]["a"] if isinstance(row, dict) else row for row in rows]
print(json.dumps([plain, [stamp.value for stamp in stamps], "pandas" in sys.modules]))
"""
    assert _run(script) == ["refused", expected, True]


def test_without_pandas_installed_such_a_value_is_refused_as_before() -> None:
    """The plugin's bundle has no pandas unless the Spark client is installed: pyarrow's own refusal stands."""
    script = f"""
class NoPandas:
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, NoPandas())
settle_without_pandas()
try:
    python_values(pa.array([{NANOS}], pa.timestamp("ns")))
    print(json.dumps("converted"))
except ValueError:
    print(json.dumps("refused"))
"""
    assert _run(script) == "refused"
