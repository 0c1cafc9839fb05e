"""IBM's pre-GA (June 2020 beta) key layout, ``ibm_vpc_flowlogs_v0/``: recognised, and refused clearly.

Its keys have no ``key=value`` folders and no year/month/day/hour folders; CRNs are stored raw, so
their ``a/<account>`` adds folder levels; the folder before the object is the object's own capture
end. IBM never documented it, and the one public sample (two objects) does not show how its bodies
differed from the GA format. Reading it would mean guessing, so the plugin does not: a source that
holds it gets a message that says so, in Save & test and in the query, instead of "no data".
"""

from __future__ import annotations

from collections.abc import Iterable

V0_ROOT = "ibm_vpc_flowlogs_v0"


def holds_v0(paths: Iterable[str]) -> bool:
    """Whether any of the paths (keys, prefixes or a location) runs through the v0 root folder."""
    return any(V0_ROOT in path.rstrip("/").split("/") for path in paths)


def v0_not_supported(where: str) -> str:
    return (
        f"{where} holds IBM's 2020 beta flow-log layout ({V0_ROOT}/…, keys without year=/month=/day=/hour= "
        "folders), which this plugin does not read; it reads the layout IBM has written since July 2020, "
        "ibm_vpc_flowlogs_v1/…: point the source at such data"
    )
