"""pyarrow without pandas in the plugin process, until a value needs pandas.

Why: the first time pyarrow converts Python or NumPy values (``pa.array``, ``pa.table``, the scalars
of ``pyarrow.compute`` calls), it checks whether its input is a pandas object, and to know it imports
pandas: a quarter of a fresh plugin's start-up CPU, paid in every panel that starts one, although no
DuckDB answer ever hands pyarrow a pandas object (pandas is installed for the Spark client). pyarrow
asks that question once per process, so the plugin has it asked while pandas is hidden from the asking
thread only (:func:`settle_without_pandas`): pyarrow then converts as where pandas is not installed,
and other threads import pandas as usual meanwhile (the Spark client does).

Without pandas, pyarrow still turns every Arrow value into Python except a nanosecond time with a
sub-microsecond part, which ``datetime`` cannot hold and pandas' ``Timestamp`` can:
:func:`python_values` has pyarrow take pandas back the first time such a value is met, so those values
come out as they would with pandas loaded from the start. Where pandas is not installed at all (the
plugin's bundle without the Spark client) nothing changes: pyarrow never had it there.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

_PANDAS = "pandas"
_lock = threading.Lock()
_pandas_asked_back = False


class _HiddenFromThread:
    """An import finder that refuses pandas to one thread; every other import goes on as usual."""

    def __init__(self) -> None:
        self._thread = threading.get_ident()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] == _PANDAS and threading.get_ident() == self._thread:
            raise ModuleNotFoundError(f"{_PANDAS} is not imported for pyarrow's probe", name=fullname)
        return None


def settle_without_pandas() -> None:
    """Have pyarrow ask its pandas question now, with pandas hidden (unless pandas is already imported)."""
    if _PANDAS in sys.modules:
        return
    import pyarrow as pa

    finder = _HiddenFromThread()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([])  # converting a Python list makes pyarrow ask
    finally:
        sys.meta_path.remove(finder)


def python_values(values: pa.Array | pa.ChunkedArray | pa.Table) -> list[Any]:
    """``values.to_pylist()``; a value that only pandas can hold first has pyarrow take pandas back."""
    try:
        return list(values.to_pylist())
    except ValueError:
        if not _take_pandas_back():  # pyarrow had pandas, or there is none: the value itself cannot be held
            raise
        return list(values.to_pylist())


def _take_pandas_back() -> bool:
    """Import pandas for pyarrow (tried once per process); False when tried before or pandas is not installed
    (the plugin's bundle has it only with the Spark client)."""
    global _pandas_asked_back  # noqa: PLW0603  # one switch per process, flipped under the lock
    with _lock:
        if _pandas_asked_back:
            return False
        _pandas_asked_back = True
        try:
            pandas = importlib.import_module(_PANDAS)  # untyped here: only its DataFrame is named
        except ImportError:
            return False
        import pyarrow as pa

        pa.Schema.from_pandas(pandas.DataFrame())  # what needs pandas itself makes pyarrow import it again
        return True
