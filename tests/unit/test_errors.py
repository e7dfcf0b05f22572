"""The error tree and its one template table; every raise site is checked against it."""

from __future__ import annotations

import ast
import pickle
import string
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparkforge.errors import (
    ERROR_TEMPLATES,
    ConfigurationError,
    PipelineError,
    Problem,
    ProblemCollector,
    SparkForgeError,
    StepError,
    TableOperationError,
    ValidationError,
    render_problems,
)
from sparkforge.models import PipelineReport, RunMode, RunStatus

if TYPE_CHECKING:
    from sparkforge.errors import (
        RunReport,
    )

PACKAGE = Path(__file__).resolve().parents[2] / "sparkforge"
ERROR_CLASSES = {
    "SparkForgeError",
    "ConfigurationError",
    "ValidationError",
    "PipelineError",
    "StepError",
    "TableOperationError",
}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _template_keys_in_source() -> list[str]:
    tree = ast.parse((PACKAGE / "_error_codes.py").read_text())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "ERROR_TEMPLATES"
        ):
            call = node.value
            assert isinstance(call, ast.Call)
            literal = call.args[0]
            assert isinstance(literal, ast.Dict)
            return [
                k.value
                for k in literal.keys
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            ]
    raise AssertionError("ERROR_TEMPLATES literal not found")


def _raise_sites() -> list[tuple[str, int, str, set[str] | None]]:
    """Every ``SomeError("CODE", {...})`` call in the package: (file, line, code, param keys)."""
    sites = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if first.value not in ERROR_TEMPLATES:
                continue
            params = node.args[1] if len(node.args) > 1 else None
            keys: set[str] | None = None
            if params is None:
                keys = set()
            elif isinstance(params, ast.Dict) and all(
                isinstance(k, ast.Constant) and isinstance(k.value, str) for k in params.keys
            ):
                keys = {
                    k.value
                    for k in params.keys
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)
                }
            rel = str(path.relative_to(PACKAGE.parent))
            sites.append((rel, node.lineno, first.value, keys))
    return sites


def test_error_templates_sorted_by_code() -> None:
    codes = list(ERROR_TEMPLATES)
    assert codes == sorted(codes)


def test_error_templates_codes_unique_in_source() -> None:
    # A duplicate key in the dict literal would silently replace the first template.
    keys = _template_keys_in_source()
    assert len(keys) == len(set(keys)) == len(ERROR_TEMPLATES)


def test_error_templates_codes_are_upper_snake() -> None:
    for code in ERROR_TEMPLATES:
        assert code.replace("_", "").isalpha()
        assert code == code.upper()


def test_error_raise_sites_give_exactly_the_template_params() -> None:
    sites = _raise_sites()
    checked = [s for s in sites if s[3] is not None]
    # The package raises from dozens of places; finding few would mean the scan is broken.
    assert len(checked) >= 15
    mismatched = [
        f"{file}:{line} {code} gives {sorted(keys or ())}, template takes "
        f"{sorted(_placeholders(ERROR_TEMPLATES[code]))}"
        for file, line, code, keys in checked
        if keys != _placeholders(ERROR_TEMPLATES[code])
    ]
    assert mismatched == []


def test_error_raise_sites_cover_pipeline_codes() -> None:
    used = {code for _, _, code, _ in _raise_sites()}
    for code in (
        "PIPELINE_GRAPH_INVALID",
        "PIPELINE_INPUT_INVALID",
        "PIPELINE_RUN_FAILED",
        "RULES_INVALID",
        "STEP_FAILED",
        "STEP_SKIPPED",
        "VALIDATION_THRESHOLD",
    ):
        assert code in used


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (
            ConfigurationError("CONFIG_INVALID", {"option": "x", "reason": "bad"}),
            "[CONFIG_INVALID] Invalid value for x: bad.",
        ),
        (
            StepError("STEP_SKIPPED", {"step": "s", "phase": "gold", "upstream": "u"}),
            "[STEP_SKIPPED] Step s (gold) was skipped: upstream step u failed.",
        ),
        (
            ValidationError(
                "VALIDATION_THRESHOLD",
                {"step": "s", "phase": "silver", "rate": "90.00", "minimum": "95"},
            ),
            "[VALIDATION_THRESHOLD] Step s (silver) validation rate 90.00% is below the "
            "silver minimum of 95%.",
        ),
    ],
    ids=["config", "step-skipped", "threshold"],
)
def test_error_str_renders_code_and_message(error: SparkForgeError, text: str) -> None:
    assert str(error) == text
    assert error.message == text


def test_error_unknown_code_is_rejected() -> None:
    with pytest.raises(KeyError, match="unknown sparkforge error code"):
        SparkForgeError("NO_SUCH_CODE", {})


@pytest.mark.parametrize(
    "params",
    [{}, {"option": "x"}, {"option": "x", "reason": "r", "extra": "e"}],
    ids=["none", "missing", "extra"],
)
def test_error_params_must_match_placeholders(params: dict[str, str]) -> None:
    with pytest.raises(KeyError, match="takes params"):
        ConfigurationError("CONFIG_INVALID", params)


def test_error_params_are_read_only() -> None:
    error = ConfigurationError("CONFIG_INVALID", {"option": "x", "reason": "r"})
    assert error.code == "CONFIG_INVALID"
    with pytest.raises(TypeError):
        error.params["option"] = "y"  # type: ignore[index]


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (ConfigurationError, ValueError),
        (ValidationError, ValueError),
        (PipelineError, RuntimeError),
        (StepError, PipelineError),
        (TableOperationError, RuntimeError),
    ],
    ids=["config", "validation", "pipeline", "step", "table"],
)
def test_error_classes_narrow_a_builtin(cls: type[Exception], builtin: type[Exception]) -> None:
    assert issubclass(cls, SparkForgeError)
    assert issubclass(cls, builtin)


def test_pipeline_error_carries_the_report() -> None:
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    report = PipelineReport(
        run_id="r", pipeline_name="p", mode=RunMode.INITIAL, status=RunStatus.FAILED,
        started_at=t, ended_at=t,
    )  # fmt: skip
    error = PipelineError(
        "PIPELINE_RUN_FAILED", {"pipeline": "p", "run_id": "r", "reason": "x"}, report=report
    )
    assert error.report is report
    assert PipelineError("PIPELINE_GRAPH_INVALID", {"reason": "x"}).report is None


def test_validation_error_keeps_its_problems() -> None:
    problems = (Problem("a.b", "bad"), Problem("", "worse"))
    error = ValidationError("MODEL_INVALID", {"model": "M", "problems": "p"}, problems=problems)
    assert error.problems == problems
    assert [str(p) for p in problems] == ["a.b: bad", "worse"]


@pytest.mark.parametrize(
    ("count", "limit", "expected"),
    [
        (0, 20, "0 problem(s): "),
        (2, 20, "2 problem(s): p0: r; p1: r"),
        (3, 1, "3 problem(s): p0: r; ... and 2 more"),
    ],
    ids=["empty", "all-shown", "truncated"],
)
def test_render_problems_counts_and_truncates(count: int, limit: int, expected: str) -> None:
    problems = tuple(Problem(f"p{i}", "r") for i in range(count))
    assert render_problems(problems, limit=limit) == expected


def _pickle_cases() -> list[SparkForgeError]:
    from sparkforge.writer import (
        WriterConfigurationError,
        WriterError,
        WriterTableError,
        WriterValidationError,
    )

    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    report = PipelineReport(
        run_id="r", pipeline_name="p", mode=RunMode.INITIAL, status=RunStatus.FAILED,
        started_at=t, ended_at=t,
    )  # fmt: skip
    problems = (Problem("steps[0].valid_rows", "negative"),)
    return [
        SparkForgeError("TABLE_NOT_FOUND", {"table": "s.t"}),
        ConfigurationError("CONFIG_INVALID", {"option": "o", "reason": "r"}),
        ValidationError("MODEL_INVALID", {"model": "M", "problems": "p"}, problems=problems),
        PipelineError(
            "PIPELINE_RUN_FAILED", {"pipeline": "p", "run_id": "r", "reason": "x"}, report=report
        ),
        StepError("STEP_FAILED", {"step": "s", "phase": "silver", "reason": "x"}),
        TableOperationError("TABLE_NOT_FOUND", {"table": "s.t"}),
        WriterError("WRITER_WRITE_FAILED", {"runs": "1", "table": "s.t", "reason": "x"}),
        WriterConfigurationError("WRITER_CONFIG_INVALID", {"option": "o", "reason": "r"}),
        WriterValidationError(
            "WRITER_INPUT_INVALID", {"subject": "report", "problems": "p"}, problems=problems
        ),
        WriterTableError("TABLE_SCHEMA_MISMATCH", {"table": "s.t", "reason": "x"}),
    ]


@pytest.mark.parametrize("error", _pickle_cases(), ids=lambda e: type(e).__name__)
def test_errors_survive_pickling(error: SparkForgeError) -> None:
    # Errors cross process boundaries (multiprocessing, concurrent.futures): every attribute
    # a caller matches on must come back, on the same class.
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (copy.code, dict(copy.params), str(copy)) == (
        error.code,
        dict(error.params),
        str(error),
    )
    assert {k: v for k, v in vars(copy).items() if k != "params"} == {
        k: v for k, v in vars(error).items() if k != "params"
    }


# --------------------------------------------------------------------------- full stops


@given(st.text(min_size=1, max_size=30).filter(lambda t: not t.endswith(".")))
def test_error_message_never_doubles_a_full_stop(text: str) -> None:
    # A nested error's message ends its own sentence; the template's "." must not follow it.
    nested = ConfigurationError("CONFIG_INVALID", {"option": "o", "reason": text + "."})
    assert nested.message.endswith(f"{text}.")
    assert not nested.message.endswith("..")
    outer = ConfigurationError("CONFIG_INVALID", {"option": "p", "reason": nested.message})
    assert not outer.message.endswith("..")
    assert outer.params["reason"] == nested.message  # the params keep the value as given


@given(st.text(max_size=30).filter(lambda t: not t.endswith(".")))
def test_error_message_ends_a_plain_reason_with_one_full_stop(text: str) -> None:
    error = ConfigurationError("CONFIG_INVALID", {"option": "o", "reason": text})
    assert error.message == f"[CONFIG_INVALID] Invalid value for o: {text}."


def test_error_message_keeps_a_conversion_and_an_ellipsis() -> None:
    error = TableOperationError(
        "IDENTIFIER_INVALID", {"kind": "table", "name": "a b", "reason": "see ..."}
    )
    assert error.message == "[IDENTIFIER_INVALID] Invalid table name 'a b': see ..."


# --------------------------------------------------------------------------- layering


#: sparkforge.errors and the modules it re-exports from: they may import only one another.
ERRORS_MODULES = {
    "sparkforge.errors": "errors.py",
    "sparkforge._error_codes": "_error_codes.py",
    "sparkforge._problems": "_problems.py",
    "sparkforge._report_protocols": "_report_protocols.py",
}


@pytest.mark.parametrize("module", sorted(ERRORS_MODULES), ids=str)
def test_errors_modules_import_nothing_else_from_sparkforge(module: str) -> None:
    # Not even under TYPE_CHECKING: models import errors, so errors must not import models.
    tree = ast.parse((PACKAGE / ERRORS_MODULES[module]).read_text(encoding="utf-8"))
    imported = [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    foreign = [
        name
        for name in imported
        if name.startswith(("sparkforge", "pyspark")) and name not in ERRORS_MODULES
    ]
    assert foreign == []


def test_pipeline_report_is_a_run_report() -> None:
    # Type-checked by mypy: PipelineError.report's protocol is what PipelineReport provides.
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    report: RunReport = PipelineReport(
        run_id="r", pipeline_name="p", mode=RunMode.INITIAL, status=RunStatus.FAILED,
        started_at=t, ended_at=t,
    )  # fmt: skip
    error = PipelineError("PIPELINE_GRAPH_INVALID", {"reason": "x"}, report=report)
    assert error.report is not None
    assert error.report.status == "failed"
    with pytest.raises(KeyError):
        error.report.step("missing")


# --------------------------------------------------------------------------- problem collector


def test_problem_collector_raises_one_configuration_error_with_every_problem() -> None:
    problems = ProblemCollector()
    problems.raise_config_error()  # nothing recorded: nothing raised
    problems.add("a", "expected a bool, got 'x'")
    problems.add("b", "expected an integer, got 1.5")
    problems.add("a", "is also too long")
    with pytest.raises(ConfigurationError) as caught:
        problems.raise_config_error()
    error = caught.value
    assert error.code == "CONFIG_INVALID"
    assert error.params["option"] == "a, b"
    assert error.params["reason"] == (
        "a: expected a bool, got 'x'; b: expected an integer, got 1.5; a: is also too long"
    )
    assert error.problems == problems.problems


def test_problem_collector_single_problem_is_the_option_and_reason() -> None:
    problems = ProblemCollector()
    problems.add("batch_size", "expected an integer in 1..10, got 0")
    with pytest.raises(ConfigurationError) as caught:
        problems.raise_config_error()
    assert dict(caught.value.params) == {
        "option": "batch_size",
        "reason": "expected an integer in 1..10, got 0",
    }


def test_configuration_error_with_problems_survives_pickling() -> None:
    error = ConfigurationError(
        "CONFIG_INVALID", {"option": "o", "reason": "r"}, problems=(Problem("o", "r"),)
    )
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, dict(copy.params), copy.problems) == (
        error.code,
        dict(error.params),
        error.problems,
    )
