"""pyarrow's question "is pandas installed?" answered without importing pandas, in the plugin process.

Why: the first time pyarrow converts Python or NumPy values (``pa.array``, ``pa.table``, the scalars
of ``pyarrow.compute`` calls), it checks whether its input is a pandas object, and to know it imports
pandas: a quarter of a fresh plugin's start-up CPU, paid in every panel that starts one, although no
DuckDB answer ever hands pyarrow a pandas object. pyarrow asks that question once per process, so the
plugin has it asked while pandas is hidden from the asking thread only: pyarrow then converts as where
pandas is not installed (the same arrays). Whatever needs pandas itself (``to_pandas``,
``from_pandas``) makes pyarrow import it then, and other threads import pandas as usual meanwhile
(the Spark client does).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

_PANDAS = "pandas"


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
