"""Validation: rules applied in one pass, and the checks of reports and of the log table.

- :mod:`~sparkforge.validation.rules`: rules per column (:class:`Rule`, :func:`normalize_rules`).
- :mod:`~sparkforge.validation.engine`: the one aggregation pass that counts them
  (:func:`apply_rules`, :func:`measure_rules`, :func:`check_threshold`).
- :mod:`~sparkforge.validation.rates`: the validation-rate formula and its Column twin.
- :mod:`~sparkforge.validation.report_checks`: the checks of a report before it is logged
  (:func:`report_problems`).
- :mod:`~sparkforge.validation.log_checks`: the checks of the log table itself
  (:func:`schema_problems`, :func:`check_log_quality`).
"""

from __future__ import annotations

from sparkforge.validation.engine import (
    FAILED_RULES_COL,
    ValidationCounts,
    ValidationResult,
    apply_rules,
    check_threshold,
    measure_rules,
)
from sparkforge.validation.log_checks import (
    NOT_A_LOG,
    DataQualityCheck,
    DataQualityResult,
    check_log_quality,
    not_a_log_reason,
    schema_problems,
)
from sparkforge.validation.rates import validation_rate, validation_rate_column
from sparkforge.validation.report_checks import report_problems
from sparkforge.validation.rules import (
    NamedRule,
    Rule,
    Rules,
    default_rule_name,
    normalize_rules,
)

__all__ = [
    "apply_rules",
    "check_log_quality",
    "check_threshold",
    "DataQualityCheck",
    "DataQualityResult",
    "default_rule_name",
    "FAILED_RULES_COL",
    "measure_rules",
    "NamedRule",
    "normalize_rules",
    "NOT_A_LOG",
    "not_a_log_reason",
    "report_problems",
    "Rule",
    "Rules",
    "schema_problems",
    "validation_rate",
    "validation_rate_column",
    "ValidationCounts",
    "ValidationResult",
]
