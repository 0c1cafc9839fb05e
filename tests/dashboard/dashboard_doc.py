"""The acceptance queries, read from ../shared/dashboards/vpc-flow-logs.md exactly as written there.

Reading the document itself (not a copy) is what makes "every query runs unchanged" checkable: a
test fails the day the document and the plugin disagree.
"""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "shared" / "dashboards" / "vpc-flow-logs.md"


def load_queries(doc: Path = DOC) -> dict[str, str]:
    """Queries by name: target_ip, target_ip_private, P1, P2, P3A, P3B, P4, P5, P6, alert."""
    text = doc.read_text()
    queries: dict[str, str] = {}
    for name, sql in re.findall(r"^\| `(\w+)` \| `(.+?)` \|", text, flags=re.M):
        queries[name] = sql
    section = ""
    for line_block in re.split(r"\n(?=\*\*P\d|## )", text):
        heading = re.match(r"\*\*(P\d)|## (.+)", line_block)
        if heading:
            section = heading.group(1) or heading.group(2).strip()
        for block in re.findall(r"```sql\n(.*?)```", line_block, flags=re.S):
            if section == "P3":
                part = "P3A" if block.startswith("-- A") else "P3B"
                queries[part] = block.strip()
            elif section.startswith("Alert"):
                queries["alert"] = block.strip()
            else:
                queries[section] = block.strip()
    return queries
