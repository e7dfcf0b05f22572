"""Validation rules: predicates per column, applied in one pass over a DataFrame.

Rules are written as ``{column: [predicate, ...]}``, where each predicate is a boolean
:class:`~pyspark.sql.Column`. A rule can be named, either with :class:`Rule` in the list or by
giving the column a mapping of rule name to predicate::

    {
        "order_id": [F.col("order_id").isNotNull()],
        "amount": [Rule("non_negative", F.col("amount") >= 0)],
        "status": {"known_status": F.col("status").isin("paid", "refunded")},
    }

An unnamed rule is named after its expression as Spark prints it (``>=(amount, 0)``); name the
rules whose results you track over time, since that text may change between Spark versions.

A row is valid when every rule is TRUE for it. A rule that evaluates to NULL (say
``F.col("status").isin(...)`` on a NULL status) fails the row: the row is invalid, never lost.

:func:`apply_rules` measures everything from one aggregation over the data: the rows, the valid
and invalid rows, and the rows failing each rule. However many rules there are, it is one
Spark action; the DataFrame is persisted first, so the valid and invalid rows handed on are the
rows that were counted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from pyspark import StorageLevel
from pyspark.sql import Column
from pyspark.sql import functions as F

from sparkforge.errors import Problem, ValidationError, render_problems
from sparkforge.models import RuleResult

if TYPE_CHECKING:
    from types import TracebackType

    from pyspark.sql import DataFrame
    from typing_extensions import Self

    from sparkforge.models import Phase, ValidationThresholds

__all__ = [
    "apply_rules",
    "check_threshold",
    "default_rule_name",
    "FAILED_RULES_COL",
    "NamedRule",
    "normalize_rules",
    "Rule",
    "Rules",
    "validation_rate",
    "ValidationCounts",
    "ValidationResult",
]

#: The column of :attr:`ValidationResult.invalid_df` listing the rules each row failed.
FAILED_RULES_COL = "_sparkforge_failed_rules"

_OK_COL = "__sparkforge_ok"
_FAIL_COL = "__sparkforge_fail_{}"
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

    .. versionadded:: 0.1.0
    """

    name: str
    predicate: Column


#: What a step's ``rules`` argument takes: per column, a list of predicates (``Column`` or
#: :class:`Rule`), or a mapping of rule name to predicate.
Rules: TypeAlias = "Mapping[str, Sequence[Column | Rule] | Mapping[str, Column]]"


@dataclass(frozen=True, slots=True, eq=False)
class NamedRule:
    """A rule after normalisation: its name, the column it belongs to, and its predicate.

    .. versionadded:: 0.1.0
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
    problems: list[Problem] = []
    found: list[NamedRule] = []
    value: object = rules
    if not isinstance(value, Mapping):
        problems.append(
            Problem("rules", f"expected a mapping of column name to rules, got {_describe(value)}")
        )
        value = {}
    seen: set[tuple[str, str]] = set()

    def add(path: str, column: str, name: object, predicate: object) -> None:
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(path, f"a rule name must be a non-empty string, got {name!r}"))
        elif not isinstance(predicate, Column):
            problems.append(
                Problem(path, f"expected a Column predicate, got {_describe(predicate)}")
            )
        elif (column, name) in seen:
            problems.append(Problem(path, f"duplicate rule name {name!r} for column {column!r}"))
        else:
            seen.add((column, name))
            found.append(NamedRule(name=name, column=column, predicate=predicate))

    for column, specs in value.items():
        path = f"rules[{column!r}]"
        if not isinstance(column, str) or not column.strip():
            problems.append(Problem(path, "a column name must be a non-empty string"))
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
                    problems.append(
                        Problem(where, f"expected a Column or a Rule, got {_describe(spec)}")
                    )
        else:
            problems.append(
                Problem(
                    path,
                    "expected a list of predicates or a mapping of rule name to predicate, "
                    f"got {_describe(specs)} (wrap a single Column in a list)",
                )
            )
    if problems:
        found_problems = tuple(problems)
        raise ValidationError(
            "RULES_INVALID",
            {"step": step, "reason": render_problems(found_problems)},
            problems=found_problems,
        )
    return tuple(found)


def validation_rate(valid_rows: int, invalid_rows: int) -> float:
    """Return ``valid_rows`` as a percentage of all validated rows; 100.0 when there are none.

    Examples
    --------
    >>> validation_rate(3, 1)
    75.0
    >>> validation_rate(0, 0)
    100.0
    """
    total = valid_rows + invalid_rows
    return 100.0 * valid_rows / total if total else 100.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationCounts:
    """What one validation pass counted.

    Parameters
    ----------
    rows
        Rows validated (counted on their own, not added up from the two below).
    valid_rows, invalid_rows
        Rows for which every rule was TRUE, and the others.
    rule_results
        Rows failing (FALSE or NULL) each rule, in rule order.

    Examples
    --------
    >>> ValidationCounts(rows=4, valid_rows=3, invalid_rows=1).validation_rate
    75.0

    .. versionadded:: 0.1.0
    """

    rows: int
    valid_rows: int
    invalid_rows: int
    rule_results: tuple[RuleResult, ...] = ()

    @property
    def validation_rate(self) -> float:
        """``valid_rows`` as a percentage of the validated rows (100.0 when none)."""
        return validation_rate(self.valid_rows, self.invalid_rows)


def check_threshold(
    counts: ValidationCounts,
    *,
    step: str,
    phase: Phase,
    thresholds: ValidationThresholds,
) -> None:
    """Raise if a step's validation rate is below its phase's minimum.

    Parameters
    ----------
    counts
        The step's validation counts.
    step
        The step's name.
    phase
        The step's phase, whose minimum applies.
    thresholds
        The minimum rates.

    Raises
    ------
    ValidationError
        ``VALIDATION_THRESHOLD`` when the rate is below the minimum.

    Examples
    --------
    >>> from sparkforge.models import Phase, ValidationThresholds
    >>> counts = ValidationCounts(rows=10, valid_rows=9, invalid_rows=1)
    >>> check_threshold(counts, step="s", phase=Phase.SILVER,
    ...     thresholds=ValidationThresholds(silver=95.0))
    Traceback (most recent call last):
    ...
    sparkforge.errors.ValidationError: [VALIDATION_THRESHOLD] Step s (silver) validation rate \
90.00% is below the silver minimum of 95%.
    """
    minimum = thresholds.minimum(phase)
    rate = counts.validation_rate
    if rate < minimum:
        # Round down for display, so a failing 94.999% never prints as "95.00% is below 95%".
        shown = math.floor(rate * 100) / 100
        raise ValidationError(
            "VALIDATION_THRESHOLD",
            {
                "step": step,
                "phase": str(phase),
                "rate": f"{shown:.2f}",
                "minimum": f"{minimum:g}",
            },
        )


@dataclass(frozen=True, slots=True, eq=False)
class ValidationResult:
    """The outcome of :func:`apply_rules`: counts, valid rows and invalid rows.

    The rows are served from a persisted DataFrame; call :meth:`release` (or use the result
    as a context manager) when they are no longer needed.

    Attributes
    ----------
    counts : ValidationCounts
        What the pass counted.
    valid_df : DataFrame
        The rows every rule passed, with the input's columns.
    invalid_df : DataFrame
        The other rows, with the input's columns plus :data:`FAILED_RULES_COL`
        (``array<string>``: the names of the rules each row failed).

    .. versionadded:: 0.1.0
    """

    counts: ValidationCounts
    valid_df: DataFrame
    invalid_df: DataFrame
    _persisted: DataFrame

    def release(self) -> None:
        """Unpersist the data behind ``valid_df`` and ``invalid_df`` (they stay usable)."""
        self._persisted.unpersist(blocking=False)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def apply_rules(
    df: DataFrame,
    rules: Sequence[NamedRule],
    *,
    storage_level: StorageLevel = StorageLevel.MEMORY_AND_DISK,
) -> ValidationResult:
    """Validate ``df`` against ``rules`` in one aggregation pass.

    Each rule becomes a flag column ``NOT coalesce(predicate, false)``; the flagged DataFrame
    is persisted and one ``agg`` counts the rows, the valid rows, the invalid rows and the
    failures of every rule. No ``count()`` runs per rule.

    Parameters
    ----------
    df
        The rows to validate.
    rules
        Normalised rules (see :func:`normalize_rules`); none means every row is valid.
    storage_level
        How the flagged rows are persisted between the count and their use.

    Returns
    -------
    ValidationResult
        The counts and the valid and invalid rows; release it when done.

    Raises
    ------
    pyspark.errors.PySparkException
        Whatever Spark raises evaluating the rules (an unknown column, a type error ...);
        nothing stays persisted then.
    """
    fail_cols = [_FAIL_COL.format(i) for i in range(len(rules))]
    flags = [
        (~F.coalesce(rule.predicate, F.lit(False))).alias(name)
        for rule, name in zip(rules, fail_cols, strict=True)
    ]
    flagged = df.select("*", *flags)
    any_failed = F.lit(False)
    for name in fail_cols:
        any_failed = any_failed | F.col(name)
    flagged = flagged.withColumn(_OK_COL, ~any_failed).persist(storage_level)
    ok = F.col(_OK_COL)
    try:
        row = flagged.agg(
            F.count(F.lit(1)).alias("rows"),
            F.count(F.when(ok, 1)).alias("valid"),
            F.count(F.when(~ok, 1)).alias("invalid"),
            *[F.count(F.when(F.col(name), 1)).alias(name) for name in fail_cols],
        ).first()
    except BaseException:
        flagged.unpersist(blocking=False)
        raise
    if row is None:  # pragma: no cover - a global aggregate always returns one row
        raise AssertionError("aggregation returned no row")
    counts = ValidationCounts(
        rows=int(row["rows"]),
        valid_rows=int(row["valid"]),
        invalid_rows=int(row["invalid"]),
        rule_results=tuple(
            RuleResult(rule=rule.name, column=rule.column, failed_rows=int(row[name]))
            for rule, name in zip(rules, fail_cols, strict=True)
        ),
    )
    failed_names = F.filter(
        F.array(
            *[F.when(F.col(c), F.lit(r.name)) for r, c in zip(rules, fail_cols, strict=True)]
        ).cast("array<string>"),
        lambda name: name.isNotNull(),
    )
    internal = [*fail_cols, _OK_COL]
    return ValidationResult(
        counts=counts,
        valid_df=flagged.filter(ok).drop(*internal),
        invalid_df=flagged.filter(~ok).withColumn(FAILED_RULES_COL, failed_names).drop(*internal),
        _persisted=flagged,
    )
