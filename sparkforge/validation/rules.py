"""Validation rules: predicates per column, applied in one pass over a DataFrame.

(`sparkforge.validation.rules`: the rules and their normalisation; the pass that counts
them is `sparkforge.validation.engine`. `sparkforge.validation` re-exports both.)

Rules are written as ``{column: [predicate, ...]}``, where each predicate is a boolean
`Column`. A rule can be named, either with [`Rule`][sparkforge.validation.Rule] in the list or by
giving the column a mapping of rule name to predicate:

```python
{
    "order_id": [F.col("order_id").isNotNull()],
    "amount": [Rule("non_negative", F.col("amount") >= 0)],
    "status": {"known_status": F.col("status").isin("paid", "refunded")},
}
```

An unnamed rule is named after its expression as Spark prints it (``>=(amount, 0)``); name the
rules whose results you track over time, since that text may change between Spark versions.

A row is valid when every rule is TRUE for it. A rule that evaluates to NULL (say
``F.col("status").isin(...)`` on a NULL status) fails the row: the row is invalid, never lost.

[`apply_rules`][sparkforge.validation.apply_rules] measures everything from one aggregation over the
data: the rows, the valid and invalid rows, and the rows failing each rule. However many rules there
are, it is one Spark action; the DataFrame is persisted first, so the valid and invalid rows handed
on are the rows that were counted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from pyspark.sql import Column

from sparkforge.errors import ProblemCollector, ValidationError

__all__ = ["default_rule_name", "NamedRule", "normalize_rules", "Rule", "Rules"]

_COLUMN_REPR = re.compile(r"Column<'(.*)'>", re.DOTALL)


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """A validation predicate with a name of your choosing.

    Parameters
    ----------
    name
        The rule's name in reports; unique per column within a step.
    predicate
        A boolean Column; TRUE means the row passes.

    Notes
    -----
    Rules do not compare equal by value: Spark Columns have no boolean equality.

    *Added in 0.1.0.*

    Examples
    --------
    A Column needs an active session (on classic PySpark), so this example is not a doctest:

    ```python
    from pyspark.sql import functions as F

    from sparkforge import Rule

    rule = Rule("non_negative", F.col("amount") >= 0)
    rules = {"amount": [rule], "order_id": [F.col("order_id").isNotNull()]}
    ```
    """

    name: str
    predicate: Column


#: What a step's ``rules`` argument takes: per column, a list of predicates (``Column`` or
#: :class:`Rule`), or a mapping of rule name to predicate.
Rules: TypeAlias = "Mapping[str, Sequence[Column | Rule] | Mapping[str, Column]]"


@dataclass(frozen=True, slots=True, eq=False)
class NamedRule:
    """A rule after normalisation: its name, the column it belongs to, and its predicate.

    *Added in 0.1.0.*

    Examples
    --------
    [`normalize_rules`][sparkforge.validation.normalize_rules] makes them (a Column needs a session,
    so this is no doctest):

    ```python
    from pyspark.sql import functions as F

    from sparkforge.validation import Rule, normalize_rules

    (named,) = normalize_rules(
        {"amount": [Rule("non_negative", F.col("amount") >= 0)]}, step="orders"
    )
    named.name, named.column  # ('non_negative', 'amount')
    ```
    """

    name: str
    column: str
    predicate: Column


def default_rule_name(predicate: Column) -> str:
    """Return the name an unnamed rule gets: its expression as Spark prints it.

    Parameters
    ----------
    predicate
        The rule's Column.

    Returns
    -------
    str
        The expression text inside ``Column<'...'>``, e.g. ``>=(amount, 0)`` on Spark 4.

    Examples
    --------
    A Column needs a session (on classic PySpark), so this example is not a doctest:

    ```python
    from pyspark.sql import functions as F

    from sparkforge.validation import default_rule_name

    default_rule_name(F.col("amount") >= 0)  # '>=(amount, 0)' on Spark 4
    ```
    """
    text = repr(predicate)
    match = _COLUMN_REPR.fullmatch(text)
    return match.group(1) if match else text


def _describe(value: object) -> str:
    return type(value).__name__


def normalize_rules(rules: Rules, *, step: str) -> tuple[NamedRule, ...]:
    """Check a step's rules and return them as named rules, in the order given.

    Parameters
    ----------
    rules
        ``{column: [Column | Rule, ...]}`` or ``{column: {rule_name: Column}}``; an empty
        mapping means every row is valid.
    step
        The step the rules belong to, for error messages.

    Returns
    -------
    tuple[NamedRule, ...]
        One entry per predicate.

    Raises
    ------
    ValidationError
        ``RULES_INVALID``, listing every problem (with its path, e.g. ``rules['amount'][1]``):
        a column name that is not a non-empty string, a value that is neither a list nor a
        mapping, an entry that is not a Column or Rule, an empty rule name, or two rules with
        the same name on the same column.

    Examples
    --------
    >>> normalize_rules({}, step="bronze_orders")
    ()
    >>> normalize_rules({"amount": 5}, step="bronze_orders")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sparkforge.errors.ValidationError: [RULES_INVALID] Invalid validation rules for step \
bronze_orders: 1 problem(s): rules['amount']: expected a list of predicates or a mapping...
    """
    problems = ProblemCollector()
    found: list[NamedRule] = []
    value: object = rules
    if not isinstance(value, Mapping):
        problems.add("rules", f"expected a mapping of column name to rules, got {_describe(value)}")
        value = {}
    seen: set[tuple[str, str]] = set()

    def add(path: str, column: str, name: object, predicate: object) -> None:
        if not isinstance(name, str) or not name.strip():
            problems.add(path, f"a rule name must be a non-empty string, got {name!r}")
        elif not isinstance(predicate, Column):
            problems.add(path, f"expected a Column predicate, got {_describe(predicate)}")
        elif (column, name) in seen:
            problems.add(path, f"duplicate rule name {name!r} for column {column!r}")
        else:
            seen.add((column, name))
            found.append(NamedRule(name=name, column=column, predicate=predicate))

    for column, specs in value.items():
        path = f"rules[{column!r}]"
        if not isinstance(column, str) or not column.strip():
            problems.add(path, f"a column name must be a non-empty string, got {column!r}")
            continue
        if isinstance(specs, Mapping):
            for name, predicate in specs.items():
                add(f"{path}[{name!r}]", column, name, predicate)
        elif isinstance(specs, Sequence) and not isinstance(specs, (str, bytes)):
            for i, spec in enumerate(specs):
                where = f"{path}[{i}]"
                if isinstance(spec, Rule):
                    add(where, column, spec.name, spec.predicate)
                elif isinstance(spec, Column):
                    add(where, column, default_rule_name(spec), spec)
                else:
                    problems.add(where, f"expected a Column or a Rule, got {_describe(spec)}")
        else:
            problems.add(
                path,
                "expected a list of predicates or a mapping of rule name to predicate, "
                f"got {_describe(specs)} (wrap a single Column in a list)",
            )
    if problems:
        raise ValidationError(
            "RULES_INVALID",
            {"step": step, "reason": problems.render()},
            problems=problems.problems,
        )
    return tuple(found)
