"""Validation rules without Spark: normalisation, naming, rates and thresholds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparkforge.errors import ValidationError
from sparkforge.models import Phase, RuleResult, ValidationThresholds
from sparkforge.validation import (
    Rule,
    ValidationCounts,
    check_threshold,
    default_rule_name,
    normalize_rules,
    validation_rate,
)
from tests.unit._fakes import fake_column


def test_normalize_rules_names_and_orders_rules() -> None:
    present = fake_column("isNotNull(id)")
    positive = fake_column(">(amount, 0)")
    known = fake_column("in(status, paid)")
    rules = normalize_rules(
        {
            "id": [present],
            "amount": [Rule("positive", positive), fake_column("<(amount, 1000)")],
            "status": {"known_status": known},
        },
        step="s",
    )
    assert [(r.column, r.name) for r in rules] == [
        ("id", "isNotNull(id)"),
        ("amount", "positive"),
        ("amount", "<(amount, 1000)"),
        ("status", "known_status"),
    ]
    assert rules[0].predicate is present
    assert rules[1].predicate is positive
    assert rules[3].predicate is known


@pytest.mark.parametrize(
    "rules", [{}, {"id": []}, {"id": {}}], ids=["no-columns", "empty-list", "empty-mapping"]
)
def test_normalize_rules_accepts_no_rules(rules: dict[str, list[Rule]]) -> None:
    assert normalize_rules(rules, step="s") == ()


def test_normalize_rules_allows_a_name_on_different_columns() -> None:
    rules = normalize_rules(
        {"a": [Rule("present", fake_column("a"))], "b": [Rule("present", fake_column("b"))]},
        step="s",
    )
    assert [(r.column, r.name) for r in rules] == [("a", "present"), ("b", "present")]


@pytest.mark.parametrize(
    ("rules", "path", "reason"),
    [
        (["not", "a", "mapping"], "rules", "expected a mapping"),
        ({"": [fake_column("x")]}, "rules['']", "non-empty string"),
        ({3: [fake_column("x")]}, "rules[3]", "non-empty string"),
        ({"a": "isNotNull(a)"}, "rules['a']", "expected a list of predicates"),
        ({"a": fake_column("x")}, "rules['a']", "wrap a single Column in a list"),
        ({"a": None}, "rules['a']", "expected a list of predicates"),
        ({"a": [True]}, "rules['a'][0]", "expected a Column or a Rule, got bool"),
        ({"a": [Rule("", fake_column("x"))]}, "rules['a'][0]", "non-empty string"),
        (
            {"a": [Rule("r", "a > 0")]},  # type: ignore[arg-type]
            "rules['a'][0]",
            "expected a Column predicate, got str",
        ),
        ({"a": {"r": 1}}, "rules['a']['r']", "expected a Column predicate, got int"),
        ({"a": {5: fake_column("x")}}, "rules['a'][5]", "non-empty string"),
        (
            {"a": [fake_column("x"), fake_column("x")]},
            "rules['a'][1]",
            "duplicate rule name 'x' for column 'a'",
        ),
    ],
    ids=[
        "not-mapping", "empty-column", "int-column", "string-value", "bare-column", "none-value",
        "bool-item", "empty-rule-name", "string-predicate", "mapping-int-predicate",
        "mapping-int-name", "duplicate-name",
    ],
)  # fmt: skip
def test_normalize_rules_rejects_malformed_rules(rules: object, path: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_rules(rules, step="silver_orders")  # type: ignore[arg-type]
    assert caught.value.code == "RULES_INVALID"
    assert caught.value.params["step"] == "silver_orders"
    ((problem_path, problem_reason),) = [(p.path, p.reason) for p in caught.value.problems]
    assert problem_path == path
    assert reason in problem_reason


def test_normalize_rules_reports_every_problem_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_rules({"a": [1, fake_column("ok"), "x"], "": []}, step="s")  # type: ignore[list-item]
    assert [p.path for p in caught.value.problems] == [
        "rules['a'][0]",
        "rules['a'][2]",
        "rules['']",
    ]
    assert str(caught.value).startswith("[RULES_INVALID] Invalid validation rules for step s: 3")


@pytest.mark.parametrize(
    ("text", "name"),
    [(">=(amount, 0)", ">=(amount, 0)"), ("a\nb", "a\nb"), ("'quoted'", "'quoted'")],
    ids=["simple", "multi-line", "quotes"],
)
def test_default_rule_name_is_the_expression_text(text: str, name: str) -> None:
    assert default_rule_name(fake_column(text)) == name


@pytest.mark.parametrize(
    ("valid", "invalid", "rate"),
    [(0, 0, 100.0), (5, 0, 100.0), (0, 5, 0.0), (3, 1, 75.0), (1, 2, 100 / 3)],
    ids=["empty", "all-valid", "all-invalid", "three-quarters", "third"],
)
def test_validation_rate_is_valid_share_in_percent(valid: int, invalid: int, rate: float) -> None:
    assert validation_rate(valid, invalid) == rate
    assert (
        ValidationCounts(
            rows=valid + invalid, valid_rows=valid, invalid_rows=invalid
        ).validation_rate
        == rate
    )


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_validation_rate_stays_a_percentage(valid: int, invalid: int) -> None:
    rate = validation_rate(valid, invalid)
    assert 0.0 <= rate <= 100.0
    if invalid == 0:
        assert rate == 100.0
    if valid == 0 and invalid > 0:
        assert rate == 0.0


@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
    st.floats(min_value=0.0, max_value=100.0),
)
def test_check_threshold_fails_exactly_below_the_minimum(
    valid: int, invalid: int, minimum: float
) -> None:
    counts = ValidationCounts(rows=valid + invalid, valid_rows=valid, invalid_rows=invalid)
    limits = ValidationThresholds(bronze=minimum)
    if counts.validation_rate < minimum:
        with pytest.raises(ValidationError) as caught:
            check_threshold(counts, step="b", phase=Phase.BRONZE, thresholds=limits)
        assert caught.value.code == "VALIDATION_THRESHOLD"
        assert float(caught.value.params["rate"]) < minimum
    else:
        check_threshold(counts, step="b", phase=Phase.BRONZE, thresholds=limits)


@pytest.mark.parametrize("phase", list(Phase), ids=[p.value for p in Phase])
def test_check_threshold_uses_the_phase_minimum(phase: Phase) -> None:
    counts = ValidationCounts(
        rows=100,
        valid_rows=97,
        invalid_rows=3,
        rule_results=(RuleResult(rule="r", column="c", failed_rows=3),),
    )
    limits = ValidationThresholds(bronze=95.0, silver=98.0, gold=99.0)
    if phase is Phase.BRONZE:
        check_threshold(counts, step="x", phase=phase, thresholds=limits)
        return
    with pytest.raises(ValidationError) as caught:
        check_threshold(counts, step="x", phase=phase, thresholds=limits)
    assert dict(caught.value.params) == {
        "step": "x",
        "phase": phase.value,
        "rate": "97.00",
        "minimum": f"{limits.minimum(phase):g}",
    }


def test_check_threshold_never_rounds_a_failure_up_to_the_minimum() -> None:
    counts = ValidationCounts(rows=100_000, valid_rows=94_999, invalid_rows=5_001)
    with pytest.raises(ValidationError) as caught:
        check_threshold(
            counts, step="s", phase=Phase.SILVER, thresholds=ValidationThresholds(silver=95.0)
        )
    assert caught.value.params["rate"] == "94.99"


def test_check_threshold_passes_empty_input_at_100() -> None:
    counts = ValidationCounts(rows=0, valid_rows=0, invalid_rows=0)
    check_threshold(counts, step="g", phase=Phase.GOLD, thresholds=ValidationThresholds(gold=100.0))


def test_rule_does_not_compare_columns() -> None:
    column = fake_column("x")
    # Column.__eq__ builds an expression; Rule must not call it (eq=False keeps identity).
    assert Rule("a", column) != Rule("a", column)
    rule = Rule("a", column)
    assert rule == rule


@pytest.mark.parametrize("column", ["", "   ", 3], ids=["empty", "blank", "int"])
def test_normalize_rules_bad_column_name_is_echoed(column: object) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_rules({column: [fake_column("x")]}, step="s")  # type: ignore[dict-item]
    (problem,) = caught.value.problems
    assert repr(column) in problem.reason
