"""Validation: rules applied in one pass, and the checks of reports and of the log table.

- `rules`: rules per column ([`Rule`][sparkforge.validation.Rule],
  [`normalize_rules`][sparkforge.validation.normalize_rules]).
- `engine`: the one aggregation pass that counts them
  ([`apply_rules`][sparkforge.validation.apply_rules],
  [`measure_rules`][sparkforge.validation.measure_rules],
  [`check_threshold`][sparkforge.validation.check_threshold]).
- `rates`: the validation-rate formula and its Column twin.
- `report_checks`: the checks of a report before it is logged
  ([`report_problems`][sparkforge.validation.report_problems]).
- `log_checks`: the checks of the log table itself
  ([`schema_problems`][sparkforge.validation.schema_problems],
  [`check_log_quality`][sparkforge.validation.check_log_quality]).
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
