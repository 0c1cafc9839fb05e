"""IBM's spelling of a flow-log column that differs from the real field: ``was_termined``.

IBM's documented ``FLOW`` table declared the record member ``was_termined`` (a typo of the JSON
field ``was_terminated``), so the column was always NULL at IBM — yet statements copied from IBM's
pages and users' dashboards name it. The views here carry the real field; a reference by IBM's
name reads it. A bare select item keeps its name (``was_termined AS was_termined``) so panels that
refer to the output field by name keep working. A query that defines ``was_termined`` itself (an
alias, a CTE column) is left alone: then the name is the user's, not IBM's.
"""

from __future__ import annotations

from sqlglot import exp

IBM_NAMES = {"was_termined": "was_terminated"}


def _defined_names(tree: exp.Expr) -> set[str]:
    names = {alias.alias.lower() for alias in tree.find_all(exp.Alias)}
    for table_alias in tree.find_all(exp.TableAlias):
        names.update(column.name.lower() for column in table_alias.columns)
    return names


def _field_reference(identifier: exp.Identifier) -> exp.Expr | None:
    """The column or ``x.field`` expression ``identifier`` names, or None when it names something else."""
    parent = identifier.parent
    if isinstance(parent, exp.Column) and parent.this is identifier:
        return parent
    if isinstance(parent, exp.Dot) and parent.expression is identifier:
        return parent
    return None


def resolve_ibm_names(tree: exp.Expr) -> exp.Expr:
    """The tree with references to IBM's misspelt column names pointed at the real fields."""
    defined = _defined_names(tree)
    for identifier in list(tree.find_all(exp.Identifier)):
        written = identifier.name
        name = written.lower()
        real = IBM_NAMES.get(name)
        reference = _field_reference(identifier)
        if real is None or reference is None or name in defined:
            continue
        select = reference.parent
        keep_name = isinstance(select, exp.Select) and any(item is reference for item in select.expressions)
        identifier.set("this", real)
        if keep_name:
            reference.replace(exp.alias_(reference.copy(), written))
    return tree
