"""The ``adhocFilters`` key of a query: the dashboard's ad-hoc filters, checked before they reach SQL.

The frontend copies Grafana's ad-hoc filters (``{key, operator, value}``) into every query of the
dashboard. A key must be a column of a flow-log relation and the operator one the dialect layer can
write; anything else is a 400 naming the filter, never SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudsql_cos_ts.dialect.adhoc import OPERATORS, AdhocFilter
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.flowlogs.schema import RELATIONS

FILTER_COLUMNS: Mapping[str, frozenset[str]] = {
    name: frozenset(column for column, _ in columns) for name, columns in RELATIONS.items()
}
"""Per filtered relation, the columns a filter key may name."""

_KEYS = frozenset().union(*FILTER_COLUMNS.values())
_MAX_FILTERS = 50


def _one(index: int, item: Any) -> AdhocFilter:
    if not isinstance(item, dict):
        raise BadRequest(f"adhocFilters[{index}] must be an object with key, operator and value")
    key, operator, value = item.get("key"), item.get("operator", "="), item.get("value")
    if not isinstance(key, str) or key not in _KEYS:
        raise BadRequest(
            f"adhocFilters[{index}]: {key!r} is not a flow-log column; filter keys are the columns of "
            f"{' and '.join(sorted(FILTER_COLUMNS))}"
        )
    if operator not in OPERATORS:
        raise BadRequest(f"adhocFilters[{index}]: operator {operator!r} is not one of {', '.join(OPERATORS)}")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadRequest(f"adhocFilters[{index}]: the value must be text or a number")
    text = str(value)
    if "\x00" in text:
        raise BadRequest(f"adhocFilters[{index}]: the value holds a NUL character")
    return AdhocFilter(key=key, operator=operator, value=text)


def parse_adhoc_filters(value: Any) -> tuple[AdhocFilter, ...]:
    """The checked filters of a query's ``adhocFilters`` (absent or null: none)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise BadRequest("query field adhocFilters must be a list of {key, operator, value}")
    if len(value) > _MAX_FILTERS:
        raise BadRequest(f"at most {_MAX_FILTERS} ad-hoc filters are allowed, got {len(value)}")
    return tuple(_one(index, item) for index, item in enumerate(value))
