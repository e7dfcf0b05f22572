"""Models: to_dict/from_dict round trips and rejection of malformed dicts (Hypothesis)."""

from __future__ import annotations

import ast
import copy
import json
import sys
import typing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparkforge.errors import ConfigurationError, ValidationError
from sparkforge.models import (
    ErrorInfo,
    ExecutionContext,
    Phase,
    PipelineConfig,
    PipelineMetrics,
    PipelineReport,
    RuleResult,
    RunMode,
    RunStatus,
    StepResult,
    StepStatus,
    ValidationThresholds,
    WriteMode,
    WriteModeName,
    utc_now,
    validation_rate,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from sparkforge.models import JsonDict

# ----------------------------------------------------------------------------- strategies

# Fixed offsets only: an instant in a zone's repeated hour never equals one in another zone
# (Python's rule for ambiguous times), which would make round trips look broken when not.
offsets = st.builds(
    timezone,
    st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
        lambda m: timedelta(minutes=m)
    ),
)
instants = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=offsets
)
counts = st.none() | st.integers(min_value=0, max_value=2**63 - 1)
finite = st.floats(allow_nan=False, allow_infinity=False)
text = st.text(max_size=20)

rule_results = st.builds(
    RuleResult, rule=text, column=st.none() | text, failed_rows=st.integers(min_value=0)
)
error_infos = st.builds(ErrorInfo, type=text, message=text, traceback=st.none() | text)
step_results = st.builds(
    StepResult,
    step_name=text,
    phase=st.sampled_from(Phase),
    status=st.sampled_from(StepStatus),
    started_at=st.none() | instants,
    ended_at=st.none() | instants,
    duration_secs=st.none() | finite,
    table_fqn=st.none() | text,
    write_mode=st.sampled_from([None, "append", "overwrite"]),
    input_rows=counts,
    output_rows=counts,
    rows_written=counts,
    valid_rows=counts,
    invalid_rows=counts,
    validation_rate=st.none() | finite,
    rule_results=st.lists(rule_results, max_size=3).map(tuple),
    previous_watermark=st.none() | instants,
    filtered_rows=counts,
    error=st.none() | error_infos,
)
metrics = st.builds(
    PipelineMetrics,
    total_steps=st.integers(min_value=0),
    successful_steps=st.integers(min_value=0),
    failed_steps=st.integers(min_value=0),
    skipped_steps=st.integers(min_value=0),
    input_rows=st.integers(min_value=0),
    rows_written=st.integers(min_value=0),
    valid_rows=st.integers(min_value=0),
    invalid_rows=st.integers(min_value=0),
    steps_duration_secs=finite,
)
contexts = st.builds(
    ExecutionContext,
    run_id=text,
    pipeline_name=text,
    mode=st.sampled_from(RunMode),
    started_at=instants,
    ended_at=st.none() | instants,
    spark_version=st.none() | text,
    app_id=st.none() | text,
    user=st.none() | text,
    host=st.none() | text,
    tags=st.dictionaries(text, text, max_size=3),
)
reports = st.builds(
    PipelineReport,
    run_id=text,
    pipeline_name=text,
    mode=st.sampled_from(RunMode),
    status=st.sampled_from(RunStatus),
    started_at=instants,
    ended_at=instants,
    steps=st.lists(step_results, max_size=3).map(tuple),
    metrics=metrics,
    context=st.none() | contexts,
    error=st.none() | error_infos,
)
rates = st.floats(min_value=0.0, max_value=100.0)
thresholds = st.builds(ValidationThresholds, bronze=rates, silver=rates, gold=rates)
configs = st.builds(
    PipelineConfig,
    thresholds=thresholds,
    max_parallel_steps=st.integers(min_value=1, max_value=64),
    quarantine_invalid=st.booleans(),
    raise_on_failure=st.booleans(),
)

MODELS: list[tuple[str, st.SearchStrategy[object]]] = [
    ("RuleResult", rule_results),
    ("ErrorInfo", error_infos),
    ("StepResult", step_results),
    ("PipelineMetrics", metrics),
    ("ExecutionContext", contexts),
    ("PipelineReport", reports),
    ("ValidationThresholds", thresholds),
    ("PipelineConfig", configs),
]
any_model = st.one_of(*(strategy for _, strategy in MODELS))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)

# ----------------------------------------------------------------------------- round trips


@given(any_model)
def test_models_round_trip_through_dicts(model: object) -> None:
    cls = type(model)
    data = model.to_dict()  # type: ignore[attr-defined]
    assert cls.from_dict(data) == model  # type: ignore[attr-defined]


@given(any_model)
def test_models_round_trip_through_json(model: object) -> None:
    cls = type(model)
    data = json.loads(json.dumps(model.to_dict()))  # type: ignore[attr-defined]
    assert cls.from_dict(data) == model  # type: ignore[attr-defined]


@given(reports)
def test_report_from_dict_returns_utc_instants(report: PipelineReport) -> None:
    back = PipelineReport.from_dict(report.to_dict())
    assert back.started_at.tzinfo is timezone.utc
    for step in back.steps:
        for moment in (step.started_at, step.ended_at, step.previous_watermark):
            assert moment is None or moment.tzinfo is timezone.utc


def test_report_from_dict_without_metrics_adds_up_the_steps() -> None:
    t = utc_now()
    step = StepResult(
        step_name="s", phase=Phase.SILVER, status=StepStatus.SUCCESS, started_at=t, ended_at=t,
        duration_secs=2.0, input_rows=5, rows_written=4, valid_rows=4, invalid_rows=1,
    )  # fmt: skip
    data = PipelineReport(
        run_id="r", pipeline_name="p", mode=RunMode.INITIAL, status=RunStatus.SUCCESS,
        started_at=t, ended_at=t, steps=(step,),
    ).to_dict()  # fmt: skip
    del data["metrics"]
    metrics = PipelineReport.from_dict(data).metrics
    assert (metrics.total_steps, metrics.input_rows, metrics.rows_written) == (1, 5, 4)
    assert (metrics.valid_rows, metrics.invalid_rows, metrics.steps_duration_secs) == (4, 1, 2.0)


# ----------------------------------------------------------------------------- malformed


def _leaf_paths(data: object, path: str = "") -> list[tuple[str, list[str | int]]]:
    """Every replaceable field: its display path and its key path."""
    found: list[tuple[str, list[str | int]]] = []

    def walk(value: object, shown: str, keys: list[str | int]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "tags":  # a string map is reported as a whole
                    found.append((f"{shown}.{key}" if shown else key, [*keys, key]))
                    continue
                child = f"{shown}.{key}" if shown else key
                found.append((child, [*keys, key]))
                walk(item, child, [*keys, key])
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{shown}[{i}]", [*keys, i])

    walk(data, path, [])
    return found


def _wrong_value(value: object) -> object:
    """Return a value of a type the field never accepts."""
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, (int, float)):
        return "12"
    if isinstance(value, str):
        return 12345
    if value is None:
        return [1]
    if isinstance(value, list):
        return "not a list"
    return 5  # a nested model or map


@given(any_model, st.data())
def test_models_from_dict_rejects_a_wrong_typed_field_by_path(
    model: object, data: st.DataObject
) -> None:
    good = model.to_dict()  # type: ignore[attr-defined]
    leaves = _leaf_paths(good)
    if not leaves:
        return
    shown, keys = data.draw(st.sampled_from(leaves), label="field")
    bad = copy.deepcopy(good)
    target = bad
    for key in keys[:-1]:
        target = target[key]
    original = target[keys[-1]]
    target[keys[-1]] = _wrong_value(original)
    with pytest.raises(ValidationError) as caught:
        type(model).from_dict(bad)  # type: ignore[attr-defined]
    assert caught.value.code == "MODEL_INVALID"
    assert shown in [p.path for p in caught.value.problems]


@pytest.mark.parametrize(
    ("cls", "key"),
    [
        (PipelineReport, "run_id"),
        (PipelineReport, "started_at"),
        (StepResult, "phase"),
        (ExecutionContext, "mode"),
        (PipelineMetrics, "total_steps"),
        (PipelineConfig, "raise_on_failure"),
    ],
    ids=["report-run_id", "report-started_at", "step-phase", "context-mode", "metrics", "config"],
)
def test_models_from_dict_rejects_a_missing_required_field(
    cls: type[PipelineReport], key: str
) -> None:
    samples: dict[type[object], Callable[[], JsonDict]] = {
        PipelineReport: lambda: _report().to_dict(),
        StepResult: lambda: _report().steps[0].to_dict(),
        ExecutionContext: lambda: _context().to_dict(),
        PipelineMetrics: lambda: PipelineMetrics().to_dict(),
        PipelineConfig: lambda: PipelineConfig().to_dict(),
    }
    data = samples[cls]()
    del data[key]
    with pytest.raises(ValidationError) as caught:
        cls.from_dict(data)
    assert [(p.path, p.reason) for p in caught.value.problems] == [(key, "is required")]


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"rule": "r", "column": None, "failed_rows": True}, "failed_rows"),
        ({"rule": "r", "column": None, "failed_rows": 1.0}, "failed_rows"),
        ({"bronze": 95.0, "silver": 101.0, "gold": 99.0}, "silver"),
        ({"bronze": 95.0, "silver": float("nan"), "gold": 99.0}, "silver"),
        ({"bronze": 10**400, "silver": 98.0, "gold": 99.0}, "bronze"),
    ],
    ids=["bool-count", "float-count", "rate-over-100", "nan-rate", "huge-int-rate"],
)
def test_models_from_dict_rejects_bad_numbers(data: JsonDict, path: str) -> None:
    cls = RuleResult if "rule" in data else ValidationThresholds
    with pytest.raises(ValidationError) as caught:
        cls.from_dict(data)
    assert [p.path for p in caught.value.problems] == [path]


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T00:00:00",  # naive
        "yesterday",
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-05:00",  # after year 9999 in UTC
        20260101,
    ],
    ids=["naive", "not-a-date", "underflow", "overflow", "number"],
)
def test_models_from_dict_rejects_bad_instants(value: object) -> None:
    data = _context().to_dict()
    data["started_at"] = value
    with pytest.raises(ValidationError) as caught:
        ExecutionContext.from_dict(data)
    assert [p.path for p in caught.value.problems] == ["started_at"]


def test_models_from_dict_names_nested_paths() -> None:
    data = _report().to_dict()
    steps = data["steps"]
    assert isinstance(steps, list)
    steps[0]["rule_results"][0]["failed_rows"] = "many"
    steps[0]["phase"] = "platinum"
    with pytest.raises(ValidationError) as caught:
        PipelineReport.from_dict(data)
    assert sorted(p.path for p in caught.value.problems) == [
        "steps[0].phase",
        "steps[0].rule_results[0].failed_rows",
    ]
    assert "steps[0].phase: expected one of bronze, silver, gold" in str(caught.value)


@given(st.sampled_from([cls for cls, _ in MODELS]), json_values)
def test_models_from_dict_raises_only_validation_error_on_garbage(
    name: str, garbage: object
) -> None:
    cls = {c.__name__: c for c in (
        RuleResult, ErrorInfo, StepResult, PipelineMetrics, ExecutionContext, PipelineReport,
        ValidationThresholds, PipelineConfig,
    )}[name]  # fmt: skip
    try:
        cls.from_dict(garbage)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc
    else:
        return
    assert error.problems
    assert error.code == "MODEL_INVALID"


@given(reports, st.data())
def test_models_from_dict_raises_only_validation_error_on_garbage_fields(
    report: PipelineReport, data: st.DataObject
) -> None:
    good = report.to_dict()
    leaves = _leaf_paths(good)
    _, keys = data.draw(st.sampled_from(leaves), label="field")
    target: object = good
    for key in keys[:-1]:
        target = target[key]  # type: ignore[index]
    target[keys[-1]] = data.draw(json_values, label="value")  # type: ignore[index]
    try:
        PipelineReport.from_dict(good)
    except ValidationError as exc:
        error = exc
    else:
        return
    assert error.problems


# ----------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bronze": -0.1},
        {"silver": 100.5},
        {"gold": "99"},
        {"gold": True},
    ],
    ids=["negative", "over-100", "string", "bool"],
)
def test_thresholds_reject_invalid_rates(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ValidationThresholds(**kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "CONFIG_INVALID"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_parallel_steps": 0},
        {"max_parallel_steps": True},
        {"max_parallel_steps": 1.5},
        {"quarantine_invalid": "yes"},
        {"raise_on_failure": None},
        {"thresholds": {"bronze": 1.0}},
    ],
    ids=["zero-parallel", "bool-parallel", "float-parallel", "str-flag", "none-flag", "dict"],
)
def test_pipeline_config_rejects_invalid_options(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        PipelineConfig(**kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "CONFIG_INVALID"
    assert next(iter(kwargs)) in caught.value.params["option"]


@pytest.mark.parametrize("phase", list(Phase), ids=[p.value for p in Phase])
def test_thresholds_minimum_per_phase(phase: Phase) -> None:
    limits = ValidationThresholds(bronze=1.0, silver=2.0, gold=3.0)
    assert limits.minimum(phase) == {"bronze": 1.0, "silver": 2.0, "gold": 3.0}[phase.value]


# ----------------------------------------------------------------------------- behaviour


def test_metrics_from_steps_adds_measured_counts_only() -> None:
    t = utc_now()
    ran = StepResult(
        step_name="a", phase=Phase.BRONZE, status=StepStatus.SUCCESS, started_at=t, ended_at=t,
        duration_secs=1.5, input_rows=10, valid_rows=9, invalid_rows=1,
    )  # fmt: skip
    failed = StepResult(
        step_name="b", phase=Phase.SILVER, status=StepStatus.FAILED, started_at=t, ended_at=t,
        duration_secs=0.5, input_rows=9,
    )  # fmt: skip
    skipped = StepResult(
        step_name="c", phase=Phase.GOLD, status=StepStatus.SKIPPED, started_at=None,
        ended_at=None, duration_secs=None,
    )  # fmt: skip
    m = PipelineMetrics.from_steps((ran, failed, skipped))
    assert (m.total_steps, m.successful_steps, m.failed_steps, m.skipped_steps) == (3, 1, 1, 1)
    assert (m.input_rows, m.valid_rows, m.invalid_rows, m.rows_written) == (19, 9, 1, 0)
    assert m.steps_duration_secs == 2.0


def test_report_step_finds_by_name() -> None:
    report = _report()
    assert report.step("orders").phase is Phase.BRONZE
    with pytest.raises(KeyError):
        report.step("missing")


def test_context_tags_are_frozen_and_facts_prefer_tags() -> None:
    tags = {"user": "from-tag", "env": "dev"}
    context = ExecutionContext(
        run_id="r", pipeline_name="p", mode=RunMode.INITIAL, started_at=utc_now(),
        user="ana", host="h", tags=tags,
    )  # fmt: skip
    tags["env"] = "prod"
    assert context.tags["env"] == "dev"
    with pytest.raises(TypeError):
        context.tags["env"] = "x"  # type: ignore[index]
    assert context.facts() == {"user": "from-tag", "host": "h", "env": "dev"}


def test_error_info_from_exception_keeps_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        info = ErrorInfo.from_exception(exc)
    assert (info.type, info.message) == ("ValueError", "boom")
    assert info.traceback is not None
    assert "raise ValueError" in info.traceback


def test_utc_now_is_aware_utc() -> None:
    assert utc_now().tzinfo is timezone.utc


@pytest.mark.parametrize(
    "enum", [Phase, RunMode, StepStatus, RunStatus], ids=["phase", "mode", "step", "run"]
)
def test_enums_print_as_their_values(enum: type[Phase]) -> None:
    for member in enum:
        assert str(member) == member.value
        assert f"{member}" == member.value


# ----------------------------------------------------------------------------- samples


def _context() -> ExecutionContext:
    t = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    return ExecutionContext(run_id="r", pipeline_name="p", mode=RunMode.INITIAL, started_at=t)


def _report() -> PipelineReport:
    t = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    step = StepResult(
        step_name="orders", phase=Phase.BRONZE, status=StepStatus.SUCCESS, started_at=t,
        ended_at=t, duration_secs=1.0, input_rows=3, output_rows=3, valid_rows=2,
        invalid_rows=1, validation_rate=200 / 3,
        rule_results=(RuleResult(rule="id_present", column="id", failed_rows=1),),
    )  # fmt: skip
    return PipelineReport(
        run_id="r", pipeline_name="p", mode=RunMode.INITIAL, status=RunStatus.SUCCESS,
        started_at=t, ended_at=t, steps=(step,), metrics=PipelineMetrics.from_steps((step,)),
        context=_context(),
    )  # fmt: skip


# ----------------------------------------------------------------------------- the package

MODELS_DIR = Path(__file__).resolve().parents[2] / "sparkforge" / "models"

#: The public names of sparkforge.models before it became a package: all still exported.
_NAMES_BEFORE_THE_SPLIT = {
    "ErrorInfo", "ExecutionContext", "JsonDict", "Phase", "PipelineConfig", "PipelineMetrics",
    "PipelineReport", "RuleResult", "RunMode", "RunStatus", "StepResult", "StepStatus",
    "TableWriteMode", "utc_now", "ValidationThresholds",
}  # fmt: skip


def test_models_package_keeps_every_public_name() -> None:
    import sparkforge.models

    assert set(sparkforge.models.__all__) >= _NAMES_BEFORE_THE_SPLIT


@pytest.mark.parametrize("module", sorted(p.name for p in MODELS_DIR.glob("*.py")), ids=str)
def test_models_modules_import_no_pyspark_and_no_other_sparkforge(module: str) -> None:
    tree = ast.parse((MODELS_DIR / module).read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    allowed = ("sparkforge.errors", "sparkforge._parsing", "sparkforge.models")
    for name in imported:
        top = name.split(".")[0]
        if top == "sparkforge":
            assert name.startswith(allowed), name
        else:
            assert top in sys.stdlib_module_names or top in ("typing_extensions", "_typeshed")


# ----------------------------------------------------------------------------- write mode


def test_step_result_takes_a_write_mode_as_a_plain_string() -> None:
    # Type-checked by mypy with no ignore; the member is what is stored.
    step = StepResult(
        step_name="s", phase=Phase.SILVER, status=StepStatus.SUCCESS,
        started_at=None, ended_at=None, duration_secs=None, write_mode="overwrite",
    )  # fmt: skip
    assert step.write_mode is WriteMode.OVERWRITE
    assert step.to_dict()["write_mode"] == "overwrite"
    assert StepResult.from_dict(step.to_dict()).write_mode is WriteMode.OVERWRITE


def test_step_result_keeps_an_unknown_write_mode_for_the_checks_to_name() -> None:
    step = StepResult(
        step_name="s", phase=Phase.SILVER, status=StepStatus.SUCCESS,
        started_at=None, ended_at=None, duration_secs=None,
        write_mode="upsert",  # type: ignore[arg-type]
    )  # fmt: skip
    assert step.write_mode == "upsert"


def test_write_mode_names_are_the_enum_values() -> None:
    assert set(typing.get_args(WriteModeName)) == {m.value for m in WriteMode}
    assert str(WriteMode.APPEND) == "append"


def test_from_dict_rejects_an_unknown_write_mode_by_path() -> None:
    data = StepResult(
        step_name="s", phase=Phase.SILVER, status=StepStatus.SUCCESS,
        started_at=None, ended_at=None, duration_secs=None,
    ).to_dict()  # fmt: skip
    data["write_mode"] = "upsert"
    with pytest.raises(ValidationError) as caught:
        StepResult.from_dict(data)
    assert [p.path for p in caught.value.problems] == ["write_mode"]
    assert "'upsert'" in caught.value.problems[0].reason


# ----------------------------------------------------------------------------- config checks


def test_pipeline_config_reports_every_bad_option_at_once() -> None:
    with pytest.raises(ConfigurationError) as caught:
        PipelineConfig(max_parallel_steps=0, raise_on_failure="yes")  # type: ignore[arg-type]
    error = caught.value
    assert [p.path for p in error.problems] == [
        "PipelineConfig.max_parallel_steps",
        "PipelineConfig.raise_on_failure",
    ]
    assert "got 0" in error.params["reason"]
    assert "got 'yes'" in error.params["reason"]


def test_thresholds_report_every_bad_rate_at_once() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ValidationThresholds(bronze=-1.0, gold=101.0)
    assert [p.path for p in caught.value.problems] == [
        "ValidationThresholds.bronze",
        "ValidationThresholds.gold",
    ]


# ----------------------------------------------------------------------------- rate, clock


@given(st.integers(0, 10**12), st.integers(0, 10**12))
def test_validation_rate_is_a_percentage_of_the_validated_rows(valid: int, invalid: int) -> None:
    rate = validation_rate(valid, invalid)
    assert 0.0 <= rate <= 100.0
    if valid + invalid:
        assert rate == pytest.approx(100.0 * valid / (valid + invalid))
    else:
        assert rate == 100.0


def test_utc_now_is_an_aware_utc_instant() -> None:
    assert utc_now().tzinfo is timezone.utc
