"""What an answer says about source objects that could not be read (truncated gzip, invalid JSON).

One damaged object in a bucket of thousands must not fail every panel whose range covers it: by
default it is left out and the answer carries a warning notice with the count and the first key, so
the user knows the numbers are short and which object to look at. A datasource whose users would
rather see an error sets ``jsonData.damagedObjects`` to ``fail``.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudsql_cos_ts.errors import DownstreamError
from cloudsql_cos_ts.settings.datasource import DamagedObjects


def damaged_notice(keys: Sequence[str], policy: DamagedObjects) -> str | None:
    """The warning text for an answer computed without ``keys``; None when there are none.

    Raises :class:`DownstreamError` (a 502 naming the first key) when the policy is ``fail``.
    """
    if not keys:
        return None
    what = "1 flow-log object" if len(keys) == 1 else f"{len(keys)} flow-log objects"
    first = keys[0] if len(keys) == 1 else f"the first: {keys[0]}"
    if policy == "fail":
        raise DownstreamError(
            f"{what} in the query's range could not be read (not gzip JSON; {first}); "
            "set damagedObjects to skip in the datasource settings to leave such objects out"
        )
    return (
        f"{what} in the query's range could not be read (not gzip JSON) and "
        f"{'was' if len(keys) == 1 else 'were'} left out ({first}); the result may be short"
    )
