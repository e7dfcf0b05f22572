"""Hypothesis strategies of the bad-input test: malformed reports (and what they share).

Each case is built from a valid input (with every valid variation the writer must take:
unicode and 10,000-character names, hostile strings, counts up to 2**63 - 1, instants in odd
time zones, missing optional blocks) and then, most of the time, one to three *poisons*: changes
that make it invalid. A case knows what the writer must do with it:

- ``reject``: a poison was applied; the writer must raise ``WriterValidationError`` naming the
  field path of at least one poison.
- ``accept``: no poison; the writer must log it, exactly.
- ``either``: a doubtful variation only (instants centuries away, which some Delta readers
  cannot decode): logging and rejecting are both acceptable outcomes.

Accepted cases cost a Delta commit each, so a clean case is drawn only about once in 120-300
(see :func:`lucky`); the test counts what it got.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from sparkforge.models import (
    ErrorInfo,
    ExecutionContext,
    Phase,
    PipelineReport,
    RuleResult,
    RunMode,
    RunStatus,
    StepResult,
    StepStatus,
    validation_rate,
)
from sparkforge.validation import report_checks
from tests.reliability.support import HOSTILE_STRINGS

Verdict = Literal["reject", "accept", "either"]

#: One clean (poison-free) case in about this many (see :func:`lucky`).
CLEAN_ODDS = 120

#: One case in about this many moves the run centuries away (a doubtful variation).
FAR_ODDS = 40

#: The largest count the log holds (the one definition, in the report checks).
MAX_BIGINT = report_checks.MAX_BIGINT

ZONES = (
    timezone.utc,
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=-9, minutes=-30)),
    timezone(timedelta(hours=14)),
    timezone(timedelta(hours=-12)),
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/London"),
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("Pacific/Chatham"),
)
zones = st.sampled_from(ZONES)
any_chars = st.characters(codec="utf-8")  # any code point but a lone surrogate
short_names = st.text(any_chars, min_size=1, max_size=12).filter(lambda s: bool(s.strip()))
_long_names = st.builds(
    lambda unit, times: (unit * times)[:10_000],
    st.text(any_chars, min_size=1, max_size=3).filter(lambda s: bool(s.strip())),
    st.integers(1, 10_000),
)
_hostile = st.sampled_from(HOSTILE_STRINGS)
names = st.one_of(short_names, _hostile, _long_names)
_optional_text = st.none() | st.text(any_chars, max_size=20) | _hostile  # may be blank
_optional_names = st.none() | names
_run_ids = st.one_of(
    st.uuids().map(str),
    st.text(st.characters(codec="utf-8", min_codepoint=32), min_size=1, max_size=256).filter(
        lambda s: bool(s.strip())
    ),
    st.sampled_from([h for h in HOSTILE_STRINGS if len(h) <= 256 and min(map(ord, h)) >= 32]),
)
_gaps = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=2))
near_starts = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31))
# Far from now but safely inside what a UTC datetime holds in every zone above.
far_starts = st.datetimes(min_value=datetime(1, 1, 3), max_value=datetime(1899, 12, 31)) | (
    st.datetimes(min_value=datetime(2263, 1, 1), max_value=datetime(9999, 12, 28))
)
_errors = st.builds(ErrorInfo, type=names, message=st.text(any_chars, max_size=30) | _hostile)


def lucky(subject: object, odds: int, salt: str) -> bool:
    """Return whether a drawn ``subject`` wins a lottery with these ``odds`` (deterministic).

    A hash of drawn input decides, not a drawn number: Hypothesis draws small numbers (0 above
    all) far more often than their share, which would make rare cases common.
    """
    text = f"{salt}:{subject!r}".encode("utf-8", "surrogatepass")
    return zlib.crc32(text) % odds == 0


def _member(draw: st.DrawFn, member: RunMode | RunStatus | Phase | StepStatus) -> object:
    """Return an enum member or its plain string value: the writer takes both."""
    return member.value if draw(st.booleans()) else member


def in_zone(draw: st.DrawFn, moment: datetime) -> datetime:
    """Return ``moment`` as seen in a drawn time zone (the same instant)."""
    return moment.astimezone(draw(zones))


@dataclass(frozen=True)
class ReportCase:
    """A report (or whatever is passed as one), the execution context, what must happen."""

    report: object
    context: object
    poisons: tuple[str, ...]
    doubtful: bool

    @property
    def verdict(self) -> Verdict:
        """What the writer must do with the case."""
        if self.poisons:
            return "reject"
        return "either" if self.doubtful else "accept"


# ------------------------------------------------------------------ valid reports


@st.composite
def _rules(draw: st.DrawFn, invalid: int | None) -> tuple[RuleResult, ...]:
    """Rule failures consistent with ``invalid``: each invalid row fails a rule."""
    if invalid is None or not draw(st.booleans()):
        return ()
    failed = [invalid, *draw(st.lists(st.integers(0, invalid), max_size=2))]
    return tuple(
        RuleResult(rule=draw(names), column=draw(_optional_names), failed_rows=n) for n in failed
    )


@st.composite
def _step(draw: st.DrawFn, name: str, not_before: datetime) -> tuple[StepResult, datetime]:
    """Draw a consistent step starting at or after ``not_before``; also the instant it ended."""
    status = draw(st.sampled_from(StepStatus))
    phase = draw(st.sampled_from(Phase))
    if status is StepStatus.SKIPPED:
        step = StepResult(
            step_name=name,
            phase=_member(draw, phase),  # type: ignore[arg-type]
            status=_member(draw, status),  # type: ignore[arg-type]
            started_at=None,
            ended_at=None,
            duration_secs=None,
            error=draw(st.none() | _errors),
        )
        return step, not_before
    start = not_before + draw(_gaps)
    end = start + draw(_gaps)
    valid = invalid = output = None
    rate: float | None = None
    if draw(st.booleans()):
        output = draw(st.integers(0, MAX_BIGINT))
        valid = draw(st.integers(0, output))
        invalid = output - valid
        rate = validation_rate(valid, invalid)
    input_rows = draw(st.none() | st.integers(0, MAX_BIGINT))
    write_mode = draw(st.sampled_from([None, "append", "overwrite"]))
    # A step that succeeded writing its table has its count: the log flags a lost one
    # (check_log_quality's rows_written_missing), and these cases must log cleanly.
    rows_written = (
        draw(st.integers(0, MAX_BIGINT))
        if write_mode is not None and status is StepStatus.SUCCESS
        else draw(st.none() | st.integers(0, MAX_BIGINT))
    )
    filtered = None if input_rows is None else draw(st.none() | st.integers(0, input_rows))
    step = StepResult(
        step_name=name,
        phase=_member(draw, phase),  # type: ignore[arg-type]
        status=_member(draw, status),  # type: ignore[arg-type]
        started_at=in_zone(draw, start),
        ended_at=in_zone(draw, end),
        duration_secs=draw(
            st.floats(0, 1e9, allow_nan=False, allow_infinity=False) | st.integers(0, 10**9)
        ),
        table_fqn=draw(_optional_names),
        write_mode=write_mode,  # type: ignore[arg-type]
        input_rows=input_rows,
        output_rows=output,
        rows_written=rows_written,
        valid_rows=valid,
        invalid_rows=invalid,
        validation_rate=rate,
        rule_results=draw(_rules(invalid)),
        previous_watermark=draw(
            st.none()
            | st.datetimes(
                min_value=datetime(1971, 1, 1), max_value=datetime(2099, 1, 1), timezones=zones
            )
        ),
        filtered_rows=filtered,
        error=draw(_errors) if status is StepStatus.FAILED else None,
    )
    return step, end


@st.composite
def _valid_report(
    draw: st.DrawFn, start: datetime
) -> tuple[PipelineReport, ExecutionContext | None]:
    step_names = draw(st.lists(names, max_size=4, unique=True))
    cursor = start
    steps = []
    for name in step_names:
        step, cursor = draw(_step(name, cursor))
        steps.append(step)
    end = cursor + draw(_gaps)
    run_error = draw(st.none() | _errors)
    failed = run_error is not None or any(s.status == StepStatus.FAILED for s in steps)
    run_id, pipeline = draw(_run_ids), draw(names)
    mode = draw(st.sampled_from(RunMode))

    def context() -> ExecutionContext:
        return ExecutionContext(
            run_id=run_id,
            pipeline_name=pipeline,
            mode=mode,
            started_at=start,
            ended_at=draw(st.none() | st.just(end)),
            spark_version=draw(st.none() | names),
            user=draw(_optional_text),
            host=draw(_optional_text),
            tags=draw(st.dictionaries(names, names | st.just(""), max_size=3)),
        )

    report = PipelineReport(
        run_id=run_id,
        pipeline_name=pipeline,
        mode=_member(draw, mode),  # type: ignore[arg-type]
        status=_member(draw, RunStatus.FAILED if failed else RunStatus.SUCCESS),  # type: ignore[arg-type]
        started_at=in_zone(draw, start),
        ended_at=in_zone(draw, end),
        steps=tuple(steps),
        context=context() if draw(st.booleans()) else None,
        error=run_error,
    )
    return report, (context() if draw(st.booleans()) else None)


# ------------------------------------------------------------------ poisons of reports

_NAIVE = datetime(2026, 1, 1, 12, 0)
# Valid as a datetime, but its UTC instant falls before year 1: no timestamp can hold it.
BEFORE_YEAR_ONE = datetime(1, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=5)))
BAD_INSTANTS: tuple[object, ...] = (
    _NAIVE,
    "2026-01-01T00:00:00+00:00",
    1_767_225_600,
    date(2026, 1, 1),
    BEFORE_YEAR_ONE,
    timedelta(hours=1),
)
BAD_COUNTS: tuple[object, ...] = (
    -1,
    -(2**63),
    2**63,
    10**30,
    -(10**400),
    1.0,
    2.5,
    math.nan,
    math.inf,
    "10",
    b"10",
    True,
    False,
    3 + 0j,
    Decimal(5),
    [1],
)
BAD_RATES: tuple[object, ...] = (
    math.nan,
    math.inf,
    -math.inf,
    100.000001,
    -0.5,
    1e308,
    2**63,
    10**400,
    "99.5",
    True,
    Decimal("50"),
)
BAD_DURATIONS: tuple[object, ...] = (
    math.nan,
    math.inf,
    -1.0,
    -1e-9,
    10**400,
    "1.5",
    False,
    timedelta(seconds=1),
)
BAD_TEXT: tuple[object, ...] = ("", "   ", "\t\n", "bad\ud800name", "\udfff", 42, None, b"name")
BAD_RUN_IDS: tuple[object, ...] = (
    *BAD_TEXT,
    "run\x00id",
    "run\nid",
    "run\x1fid",
    "r" * 257,
    "\u00e9" * 257,
)
BAD_OPTIONAL_TEXT: tuple[object, ...] = (3, b"lake.t", "lake.\ud800")
BAD_ERRORS: tuple[object, ...] = (
    "boom",
    1,
    ErrorInfo(type="", message="m"),
    ErrorInfo(type=None, message="m"),  # type: ignore[arg-type]
    ErrorInfo(type="T", message=5),  # type: ignore[arg-type]
    ErrorInfo(type="T\ud800", message=""),
)
BAD_RULES: tuple[object, ...] = (
    "amount > 0",
    5,
    {"rule": "r"},
    (None,),
    ("r",),
    (RuleResult(rule="", column=None, failed_rows=0),),
    (RuleResult(rule="r", column=5, failed_rows=0),),  # type: ignore[arg-type]
    (RuleResult(rule="r", column=None, failed_rows=-1),),
    (RuleResult(rule="r", column=None, failed_rows=None),),  # type: ignore[arg-type]
)
_BAD_FIELDS: dict[str, tuple[object, ...]] = {
    "step_name": BAD_TEXT,
    "phase": ("platinum", "BRONZE", "", 3, None, StepStatus.SUCCESS),
    "status": ("done", "SUCCESS", None, 1, Phase.GOLD),
    "started_at": BAD_INSTANTS,
    "ended_at": BAD_INSTANTS,
    "duration_secs": BAD_DURATIONS,
    "input_rows": BAD_COUNTS,
    "output_rows": BAD_COUNTS,
    "rows_written": BAD_COUNTS,
    "valid_rows": BAD_COUNTS,
    "invalid_rows": BAD_COUNTS,
    "filtered_rows": BAD_COUNTS,
    "validation_rate": BAD_RATES,
    "table_fqn": BAD_OPTIONAL_TEXT,
    "write_mode": ("merge", "APPEND", 1, ""),
    "rule_results": BAD_RULES,
    "previous_watermark": BAD_INSTANTS,
    "error": BAD_ERRORS,
}
_BAD_RUN_FIELDS: dict[str, tuple[object, ...]] = {
    "run_id": BAD_RUN_IDS,
    "pipeline_name": BAD_TEXT,
    "mode": ("sometimes", "INITIAL", "initial ", None, 0, RunStatus.SUCCESS),
    "status": ("ok", "SUCCESS", None, 1, StepStatus.SKIPPED),
    "started_at": (*BAD_INSTANTS, None),
    "ended_at": (*BAD_INSTANTS, None),
    "error": BAD_ERRORS,
    "steps": ("abc", None, {"step": 1}, 5, b"x"),
}
_STEP_CHECKS = (
    "counts_mismatch",
    "rate_mismatch",
    "only_valid",
    "rate_without_counts",
    "end_before_start",
    "outside_run",
    "failed_without_error",
    "filtered_above_input",
    "rule_above_invalid",
    "invalid_above_rules",
    "duplicate_name",
    "not_a_step",
)
_RUN_CHECKS = ("end_before_start", "status_mismatch", "context", "execution_context", "replace")


_Model = TypeVar("_Model", StepResult, PipelineReport, ExecutionContext)


def _with(model: _Model, **changes: object) -> _Model:
    """Return a copy of ``model`` with ``changes``, which may well be of the wrong type."""
    return replace(model, **changes)  # type: ignore[arg-type]


def _window(report: PipelineReport) -> tuple[datetime, datetime] | None:
    """Return the run's start and end in UTC, when both are valid and in order."""
    start: object = report.started_at
    end: object = report.ended_at
    if not (isinstance(start, datetime) and isinstance(end, datetime)):
        return None
    if start.utcoffset() is None or end.utcoffset() is None:
        return None
    try:
        window = (start.astimezone(timezone.utc), end.astimezone(timezone.utc))
    except (OverflowError, ValueError):
        return None
    return window if window[0] <= window[1] else None


def _failed(report: PipelineReport) -> bool:
    steps: object = report.steps
    failed_step = isinstance(steps, (tuple, list)) and any(
        getattr(s, "status", None) == StepStatus.FAILED for s in steps
    )
    return failed_step or report.error is not None


def _step_poison(
    draw: st.DrawFn, report: PipelineReport, steps: list[object], index: int
) -> tuple[PipelineReport, str] | None:
    """Poison step ``index``; None when the drawn kind does not apply to this report."""
    step = steps[index]
    assert isinstance(step, StepResult)
    where = f"steps[{index}]"
    if draw(st.booleans()):
        field_name = draw(st.sampled_from(sorted(_BAD_FIELDS)))
        bad = draw(st.sampled_from(_BAD_FIELDS[field_name]))
        steps[index] = _with(step, **{field_name: bad})
        return _with(report, steps=tuple(steps)), f"{where}.{field_name}"
    kind = draw(st.sampled_from(_STEP_CHECKS))
    changes: dict[str, object]
    window = _window(report)
    anchor = window[0] if window is not None else datetime(2026, 1, 1, tzinfo=timezone.utc)
    path = f"{where}.valid_rows"
    if kind == "counts_mismatch":
        valid, invalid = draw(st.integers(0, 2**60)), draw(st.integers(0, 2**60))
        total = valid + invalid
        output = total + draw(st.integers(1, 2**40))
        changes = {"valid_rows": valid, "invalid_rows": invalid, "output_rows": output}
        changes["validation_rate"] = 100.0 * valid / total if total else 100.0
        changes["rule_results"] = ()
    elif kind == "rate_mismatch":
        valid, invalid = draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6))
        total = valid + invalid
        right = 100.0 * valid / total if total else 100.0
        wrong = draw(st.floats(0, 100).filter(lambda r: abs(r - right) > 0.02))
        changes = {"valid_rows": valid, "invalid_rows": invalid, "output_rows": total}
        changes.update(validation_rate=wrong, rule_results=())
        path = f"{where}.validation_rate"
    elif kind == "only_valid":
        changes = {"valid_rows": 5, "invalid_rows": None, "output_rows": None}
        changes.update(validation_rate=None)
        path = f"{where}.invalid_rows"
    elif kind == "rate_without_counts":
        changes = {"valid_rows": None, "invalid_rows": None, "validation_rate": 50.0}
        path = f"{where}.validation_rate"
    elif kind == "end_before_start":
        start = anchor + timedelta(seconds=1)
        back = draw(st.timedeltas(timedelta(microseconds=1), timedelta(seconds=1)))
        changes = {"started_at": in_zone(draw, start), "ended_at": in_zone(draw, start - back)}
        path = f"{where}.ended_at"
    elif kind == "outside_run":
        if window is None:
            return None
        shift = draw(st.timedeltas(timedelta(microseconds=1), timedelta(days=2)))
        before = draw(st.booleans())
        try:
            if before:
                begin, finish = window[0] - shift, window[0]
            else:
                begin, finish = window[1], window[1] + shift
            changes = {"started_at": in_zone(draw, begin), "ended_at": in_zone(draw, finish)}
        except (OverflowError, ValueError):  # pushed past year 1 or 9999
            return None
        path = f"{where}.started_at" if before else f"{where}.ended_at"
    elif kind == "failed_without_error":
        changes = {"status": StepStatus.FAILED, "error": None}
        path = f"{where}.error"
    elif kind == "filtered_above_input":
        changes = {"input_rows": 5, "filtered_rows": 6}
        path = f"{where}.filtered_rows"
    elif kind in ("rule_above_invalid", "invalid_above_rules"):
        changes = {"valid_rows": 5, "invalid_rows": 5, "output_rows": 10, "validation_rate": 50.0}
        failed = 6 if kind == "rule_above_invalid" else 2
        changes["rule_results"] = (RuleResult(rule="r", column=None, failed_rows=failed),)
        path = f"{where}.rule_results" if kind == "rule_above_invalid" else f"{where}.invalid_rows"
    elif kind == "duplicate_name":
        others = [i for i, s in enumerate(steps) if i != index and isinstance(s, StepResult)]
        if not others:
            return None
        other = others[0]
        name: object = getattr(steps[other], "step_name", None)
        if not isinstance(name, str) or not name.strip() or not _valid_text(name):
            return None
        changes = {"step_name": name}
        path = f"steps[{max(index, other)}].step_name"
    else:  # not_a_step
        steps[index] = draw(
            st.sampled_from([None, "step", {"step_name": "s"}, ErrorInfo(type="E", message="m")])
        )
        return _with(report, steps=tuple(steps)), where
    steps[index] = _with(step, **changes)
    return _with(report, steps=tuple(steps)), path


def _valid_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bad_context(draw: st.DrawFn, report: PipelineReport, where: str) -> tuple[object, str]:
    """Return an execution context that does not fit ``report``, and the path of its flaw."""
    base = ExecutionContext(
        run_id=str(report.run_id),
        pipeline_name=str(report.pipeline_name),
        mode=RunMode.INITIAL,
        started_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    flaw = draw(st.sampled_from(["<type>", "run_id", "pipeline_name", "tags", "user"]))
    if flaw == "<type>":
        return draw(st.sampled_from(["ctx", 5, {"run_id": "r"}])), where
    if flaw == "tags":
        tags = draw(st.sampled_from([{"k": 1}, {1: "v"}, {"k": None}, {"k\ud800": "v"}]))
        return _with(base, tags=tags), f"{where}.tags"
    if flaw == "user":
        return _with(base, user=draw(st.sampled_from([5, "u\udfff", b"u"]))), f"{where}.user"
    return _with(base, **{flaw: f"{getattr(base, flaw)}-other"}), f"{where}.{flaw}"


def _run_poison(
    draw: st.DrawFn, report: PipelineReport, context: object
) -> tuple[object, object, str] | None:
    """Poison the run; return (report, execution context, path), or None if not applicable."""
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(_BAD_RUN_FIELDS)))
        value = draw(st.sampled_from(_BAD_RUN_FIELDS[name]))
        return _with(report, **{name: value}), context, name
    kind = draw(st.sampled_from(_RUN_CHECKS))
    if kind == "end_before_start":
        start: object = report.started_at
        if not isinstance(start, datetime) or start.utcoffset() is None:
            return None
        back = draw(st.timedeltas(timedelta(microseconds=1), timedelta(days=3)))
        try:
            end = in_zone(draw, start.astimezone(timezone.utc) - back)
        except (OverflowError, ValueError):
            return None
        return _with(report, ended_at=end), context, "ended_at"
    if kind == "status_mismatch":
        wrong = RunStatus.SUCCESS if _failed(report) else RunStatus.FAILED
        return _with(report, status=_member(draw, wrong)), context, "status"
    if kind == "context":
        bad, path = _bad_context(draw, report, "context")
        return _with(report, context=bad), context, path
    if kind == "execution_context":
        bad, path = _bad_context(draw, report, "execution_context")
        return report, bad, path
    # Something that is not a report at all.
    other = draw(
        st.sampled_from([None, {}, "report", 42, {"run": {"mode": "initial"}}, report.steps])
    )
    return other, context, "<report>"


@st.composite
def report_cases(draw: st.DrawFn) -> ReportCase:
    """Draw a report case: valid variations, then (mostly) one to three poisons."""
    start = draw(near_starts)
    far = lucky(start, FAR_ODDS, "far")
    if far:
        start = draw(far_starts)
    report, context = draw(_valid_report(start.replace(tzinfo=timezone.utc)))
    clean = lucky((report, context), CLEAN_ODDS, "clean")
    wanted = 0 if clean else draw(st.integers(1, 3))
    subject: object = report
    given_context: object = context
    poisons: list[str] = []
    attempts = 0
    while len(poisons) < wanted and attempts < 10:
        attempts += 1
        if not isinstance(subject, PipelineReport):
            break
        steps: object = subject.steps
        if isinstance(steps, (tuple, list)) and steps and draw(st.booleans()):
            index = draw(st.integers(0, len(steps) - 1))
            if not isinstance(steps[index], StepResult):
                continue
            poisoned = _step_poison(draw, subject, list(steps), index)
            if poisoned is None:
                continue
            subject, path = poisoned
        else:
            outcome = _run_poison(draw, subject, given_context)
            if outcome is None:
                continue
            subject, given_context, path = outcome
        poisons.append(path)
    return ReportCase(report=subject, context=given_context, poisons=tuple(poisons), doubtful=far)
