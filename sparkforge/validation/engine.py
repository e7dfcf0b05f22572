"""The validation pass: rules -> flag columns -> one aggregation counting every rule.

[`apply_rules`][sparkforge.validation.apply_rules] counts and hands on the valid and invalid rows
(persisted, so the rows handed on are the rows counted);
[`measure_rules`][sparkforge.validation.measure_rules] only counts, for checks whose result is the
counts (the log's data-quality checks). Either way it is one Spark action, however many rules there
are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark import StorageLevel
from pyspark.sql import functions as F

from sparkforge.errors import ValidationError
from sparkforge.models import RuleResult
from sparkforge.models.rates import validation_rate

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import TracebackType

    from pyspark.sql import Column, DataFrame
    from typing_extensions import Self

    from sparkforge.models import Phase, ValidationThresholds
    from sparkforge.validation.rules import NamedRule

__all__ = [
    "apply_rules",
    "check_threshold",
    "FAILED_RULES_COL",
    "measure_rules",
    "ValidationCounts",
    "ValidationResult",
]

#: The column of :attr:`ValidationResult.invalid_df` listing the rules each row failed.
FAILED_RULES_COL = "_sparkforge_failed_rules"

_OK_COL = "__sparkforge_ok"
_FAIL_COL = "__sparkforge_fail_{}"


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

    *Added in 0.1.0.*
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
    """The outcome of [`sparkforge.validation.apply_rules`][]: counts, valid rows and invalid rows.

    The rows are served from a persisted DataFrame; call
    [`release`][sparkforge.validation.ValidationResult.release] (or use the result as a context
    manager) when they are no longer needed.

    Attributes
    ----------
    counts : ValidationCounts
        What the pass counted.
    valid_df : DataFrame
        The rows every rule passed, with the input's columns.
    invalid_df : DataFrame
        The other rows, with the input's columns plus
        [`FAILED_RULES_COL`][sparkforge.validation.FAILED_RULES_COL] (``array<string>``: the names
        of the rules each row failed).

    *Added in 0.1.0.*

    Examples
    --------
    ```python
    from pyspark.sql import functions as F

    from sparkforge.validation import apply_rules, normalize_rules

    rules = normalize_rules({"amount": [F.col("amount") >= 0]}, step="orders")
    result = apply_rules(orders_df, rules)
    try:
        result.valid_df.write.format("delta").mode("append").saveAsTable("shop.orders")
    finally:
        result.release()
    ```
    """

    counts: ValidationCounts
    valid_df: DataFrame
    invalid_df: DataFrame
    _persisted: DataFrame

    def release(self) -> None:
        """Unpersist the data behind ``valid_df`` and ``invalid_df`` (they stay usable).

        Examples
        --------
        Leaving a ``with`` block releases the result too:

        ```python
        from sparkforge.validation import apply_rules

        with apply_rules(orders_df, rules) as result:
            result.invalid_df.show()
        result.release()  # already done by the with block; a second call is harmless
        ```
        """
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
        Normalised rules (see [`normalize_rules`][sparkforge.validation.normalize_rules]); none
        means every row is valid.
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

    Examples
    --------
    ```python
    from pyspark.sql import functions as F

    from sparkforge.validation import FAILED_RULES_COL, Rule, apply_rules, normalize_rules

    rules = normalize_rules(
        {"amount": [Rule("non_negative", F.col("amount") >= 0)]}, step="orders"
    )
    with apply_rules(orders_df, rules) as result:
        print(result.counts.valid_rows, result.counts.invalid_rows)
        result.invalid_df.select("order_id", FAILED_RULES_COL).show()
    ```
    """
    flagged, fail_cols = _flag(df, rules)
    flagged = flagged.persist(storage_level)
    try:
        counts, _ = _count(flagged, rules, fail_cols, {})
    except BaseException:
        flagged.unpersist(blocking=False)
        raise
    ok = F.col(_OK_COL)
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


def measure_rules(
    df: DataFrame,
    rules: Sequence[NamedRule],
    *,
    extra_aggregates: Mapping[str, Column] | None = None,
) -> tuple[ValidationCounts, dict[str, object]]:
    """Count the rows, valid rows and failures per rule of ``df`` in one aggregation.

    The counting half of [`apply_rules`][sparkforge.validation.apply_rules], for callers that need
    only the counts (the log's data-quality checks): nothing is persisted and no rows are handed on.

    Parameters
    ----------
    df
        The rows to validate.
    rules
        Normalised rules; a row fails a rule whose predicate is FALSE or NULL.
    extra_aggregates
        More aggregate Columns to compute in the same pass, by result name (names must not
        start with ``__sparkforge``, nor be ``rows``, ``valid`` or ``invalid``).

    Returns
    -------
    tuple[ValidationCounts, dict[str, object]]
        The counts, and the value of each extra aggregate.

    Raises
    ------
    pyspark.errors.PySparkException
        Whatever Spark raises evaluating the rules.

    Examples
    --------
    ```python
    from pyspark.sql import functions as F

    from sparkforge.validation import measure_rules, normalize_rules

    rules = normalize_rules({"amount": [F.col("amount") >= 0]}, step="orders")
    counts, extra = measure_rules(
        orders_df, rules, extra_aggregates={"max_amount": F.max("amount")}
    )
    print(counts.validation_rate, counts.rule_results[0].failed_rows, extra["max_amount"])
    ```
    """
    flagged, fail_cols = _flag(df, rules)
    return _count(flagged, rules, fail_cols, dict(extra_aggregates or {}))


def _flag(df: DataFrame, rules: Sequence[NamedRule]) -> tuple[DataFrame, list[str]]:
    """Add a failure flag per rule, ``NOT coalesce(predicate, false)``, and the row's verdict."""
    fail_cols = [_FAIL_COL.format(i) for i in range(len(rules))]
    flags = [
        (~F.coalesce(rule.predicate, F.lit(False))).alias(name)
        for rule, name in zip(rules, fail_cols, strict=True)
    ]
    any_failed = F.lit(False)
    for name in fail_cols:
        any_failed = any_failed | F.col(name)
    return df.select("*", *flags).withColumn(_OK_COL, ~any_failed), fail_cols


def _count(
    flagged: DataFrame,
    rules: Sequence[NamedRule],
    fail_cols: list[str],
    extra: dict[str, Column],
) -> tuple[ValidationCounts, dict[str, object]]:
    """Run the one aggregation: rows, valid, invalid, failures per rule, and ``extra``."""
    ok = F.col(_OK_COL)
    row = flagged.agg(
        F.count(F.lit(1)).alias("rows"),
        F.count(F.when(ok, 1)).alias("valid"),
        F.count(F.when(~ok, 1)).alias("invalid"),
        *[F.count(F.when(F.col(name), 1)).alias(name) for name in fail_cols],
        *[expr.alias(name) for name, expr in extra.items()],
    ).first()
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
    return counts, {name: row[name] for name in extra}
