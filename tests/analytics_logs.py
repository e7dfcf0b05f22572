"""Realistic run-log rows for the analytics tests: pipelines, schedules, seasonality, faults.

:func:`generate` turns pipeline specs into rows of ``LOG_SCHEMA`` (dicts, one per step per
run, plus a ``row_kind = "run"`` row for a run failing before any step): daily or hourly
schedules, weekday/weekend and night/day volumes, bounded noise (so a test can say exactly
what must and must not be flagged), skipped and failed steps with NULL counts, runs that stop,
and injected :class:`Fault` s. :func:`scenario` is the standard three-month log of the
anomaly tests; other tests may reuse it.

Counts are consistent: ``output = input``, ``valid + invalid = output``, ``validation_rate``
is ``valid / output`` in percent, ``rows_written = valid`` for steps that write, run and step
instants are sequential (a run's duration covers its steps).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["AS_OF", "Fault", "PipelineSpec", "StepSpec", "generate", "scenario"]

#: The instant the standard scenario is analysed at: Thursday 2026-03-12 06:00 UTC.
AS_OF = datetime(2026, 3, 12, 6, 0, tzinfo=timezone.utc)

_NOISE = 0.03  # relative, uniform, on volumes and durations
_QUALITY_NOISE = 0.02  # relative, uniform, on the invalid fraction


@dataclass(frozen=True)
class StepSpec:
    """One step: its phase, weekday daytime volume and how it varies."""

    name: str
    phase: str
    volume: int
    duration: float
    invalid_fraction: float = 0.01
    writes: bool = True
    weekend_factor: float = 1.0  # volume on Saturdays and Sundays (UTC)
    night_factor: float = 1.0  # volume for runs started 00:00-05:59 UTC


@dataclass(frozen=True)
class PipelineSpec:
    """One pipeline: schedule (``"daily"`` at ``hour:minute`` or ``"hourly"`` at ``minute``)."""

    name: str
    schedule: str
    steps: tuple[StepSpec, ...]
    hour: int = 0
    minute: int = 0
    first: datetime | None = None  # no run before (default: the generation start)
    stop_after: datetime | None = None  # no run after
    skip: frozenset[datetime] = frozenset()  # scheduled starts that do not run
    fail_every: int = 0  # every n-th run, the second step fails (later ones are skipped)
    run_failure_every: int = 0  # every n-th run fails before any step (one run row)


@dataclass(frozen=True)
class Fault:
    """Change one step of the run started at ``start``.

    ``kind``: ``"volume"`` (rows x factor), ``"duration"`` (seconds x factor), ``"quality"``
    (the invalid fraction becomes ``factor``) or ``"fail"`` (the step fails, the next skip).
    """

    pipeline: str
    step: str
    start: datetime
    kind: str
    factor: float = 1.0


@dataclass
class _Run:
    spec: PipelineSpec
    start: datetime
    index: int
    rows: list[dict[str, Any]] = field(default_factory=list)


def _starts(spec: PipelineSpec, begin: datetime, end: datetime) -> list[datetime]:
    step = timedelta(hours=1) if spec.schedule == "hourly" else timedelta(days=1)
    first = begin.replace(minute=spec.minute, second=0, microsecond=0)
    if spec.schedule == "daily":
        first = first.replace(hour=spec.hour)
    while first < max(begin, spec.first or begin):
        first += step
    last = min(end, spec.stop_after or end)
    out = []
    moment = first
    while moment <= last:
        if moment not in spec.skip:
            out.append(moment)
        moment += step
    return out


def _base_row(run: _Run, run_id: str, status: str) -> dict[str, Any]:
    return {
        "run_mode": "incremental",
        "run_started_at": run.start,
        "run_ended_at": None,
        "phase": None,
        "step": None,
        "start_time": None,
        "end_time": None,
        "table_fqn": None,
        "write_mode": None,
        "input_rows": None,
        "output_rows": None,
        "rows_written": None,
        "valid_rows": None,
        "invalid_rows": None,
        "validation_rate": None,
        "previous_watermark": None,
        "filtered_rows": None,
        "run_id": run_id,
        "pipeline_name": run.spec.name,
        "run_status": status,
        "run_date": run.start.date(),
        "row_kind": "step",
        "step_index": None,
        "step_status": None,
        "duration_secs": None,
        "rule_results": [],
        "error_type": None,
        "error_message": None,
        "tags": {"env": "test"},
        "logged_at": run.start,
        "schema_version": 1,
        "writer_version": "test",
    }


def _run_rows(
    run: _Run, faults: dict[tuple[str, str, datetime], Fault], rng: random.Random
) -> list[dict[str, Any]]:
    spec = run.spec
    run_id = str(uuid.UUID(int=rng.getrandbits(128)))
    if spec.run_failure_every and run.index % spec.run_failure_every == spec.run_failure_every - 1:
        row = _base_row(run, run_id, "failed")
        row.update(row_kind="run", error_type="ConnectionError", error_message="source down")
        row["run_ended_at"] = row["logged_at"] = run.start + timedelta(seconds=3)
        return [row]
    failing = 1 if spec.fail_every and run.index % spec.fail_every == spec.fail_every - 1 else -1
    for i, step in enumerate(spec.steps):
        fault = faults.get((spec.name, step.name, run.start))
        if fault is not None and fault.kind == "fail":
            failing = i
    weekend = run.start.weekday() >= 5
    night = run.start.hour < 6
    rows = []
    clock = run.start + timedelta(seconds=1)
    for i, step in enumerate(spec.steps):
        row = _base_row(run, run_id, "failed" if failing >= 0 else "success")
        row.update(phase=step.phase, step=step.name, step_index=i)
        fault = faults.get((spec.name, step.name, run.start))
        if failing >= 0 and i > failing:
            row.update(
                step_status="skipped",
                error_type="UpstreamFailed",
                error_message="an upstream step failed",
            )
            rows.append(row)
            continue
        duration = step.duration * (1 + rng.uniform(-_NOISE, _NOISE))
        if fault is not None and fault.kind == "duration":
            duration *= fault.factor
        row.update(
            start_time=clock,
            end_time=clock + timedelta(seconds=duration),
            duration_secs=round(duration, 3),
        )
        clock += timedelta(seconds=duration + 1)
        if i == failing:
            row.update(
                step_status="failed",
                error_type="AnalysisException",
                error_message="column not found",
            )
            rows.append(row)
            continue
        volume = step.volume * (step.weekend_factor if weekend else 1.0)
        volume *= step.night_factor if night else 1.0
        volume *= 1 + rng.uniform(-_NOISE, _NOISE)
        fraction = step.invalid_fraction * (1 + rng.uniform(-_QUALITY_NOISE, _QUALITY_NOISE))
        if fault is not None and fault.kind == "volume":
            volume *= fault.factor
        if fault is not None and fault.kind == "quality":
            fraction = fault.factor
        output = round(volume)
        invalid = round(output * fraction)
        valid = output - invalid
        row.update(
            step_status="success",
            table_fqn=f"lake.{step.name}" if step.writes else None,
            write_mode="append" if step.writes else None,
            input_rows=output,
            output_rows=output,
            valid_rows=valid,
            invalid_rows=invalid,
            validation_rate=100.0 * valid / output if output else 100.0,
            rows_written=valid if step.writes else None,
        )
        if invalid:
            row["rule_results"] = [{"rule": "not_null", "column": "id", "failed_rows": invalid}]
        rows.append(row)
    for row in rows:
        row["run_ended_at"] = clock
        row["logged_at"] = clock
    return rows


def generate(
    pipelines: tuple[PipelineSpec, ...],
    *,
    begin: datetime,
    end: datetime,
    faults: tuple[Fault, ...] = (),
    seed: int = 7,
) -> list[dict[str, Any]]:
    """Return the log rows of ``pipelines`` for the runs started in ``[begin, end]``.

    Deterministic for a given ``seed``; every instant is a UTC-aware datetime.
    """
    rng = random.Random(seed)
    by_key = {(f.pipeline, f.step, f.start): f for f in faults}
    rows: list[dict[str, Any]] = []
    for spec in pipelines:
        for index, start in enumerate(_starts(spec, begin, end)):
            rows.extend(_run_rows(_Run(spec, start, index), by_key, rng))
    return rows


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc)


#: The standard scenario's pipelines: a daily one with weekday/weekend volumes (orders), a daily
#: one with failures (customers), an hourly one with night/day volumes that stops 8 h before
#: AS_OF (events) and a new one with too little history (tiny).
PIPELINES: tuple[PipelineSpec, ...] = (
    PipelineSpec(
        "orders",
        "daily",
        (
            StepSpec("orders_raw", "bronze", 10_000, 30.0, writes=False, weekend_factor=0.3),
            StepSpec("orders_clean", "silver", 10_000, 60.0, 0.02, weekend_factor=0.3),
            StepSpec("orders_daily", "gold", 500, 20.0, 0.0, weekend_factor=0.3),
        ),
        hour=2,
        skip=frozenset({_at(12, 2)}),  # Thursday's run has not happened: last run 28 h ago
    ),
    PipelineSpec(
        "customers",
        "daily",
        (
            StepSpec("customers_raw", "bronze", 5_000, 15.0, writes=False),
            StepSpec("customers_dim", "silver", 5_000, 40.0),
            StepSpec("customers_scd", "gold", 1_000, 10.0, 0.0),
        ),
        hour=12,
        fail_every=9,
        run_failure_every=13,
    ),
    PipelineSpec(
        "events",
        "hourly",
        (
            StepSpec("events_raw", "bronze", 8_000, 20.0, writes=False, night_factor=0.25),
            StepSpec("events_clean", "silver", 8_000, 45.0, 0.4, night_factor=0.25),
        ),
        minute=5,
        first=AS_OF - timedelta(days=40),  # hourly: 40 days are plenty (and ~2,000 rows)
        stop_after=AS_OF - timedelta(hours=8),
    ),
    PipelineSpec(
        "tiny",
        "daily",
        (StepSpec("tiny_load", "silver", 100, 5.0),),
        hour=9,
        first=_at(5, 0),
    ),
)

#: The standard scenario's faults: one x20 spike inside training, then spikes and drops of
#: every default metric inside the detection window (see tests/integration/...anomalies.py).
FAULTS: tuple[Fault, ...] = (
    Fault("orders", "orders_clean", datetime(2026, 2, 25, 2, tzinfo=timezone.utc), "volume", 20.0),
    Fault("orders", "orders_clean", _at(9, 2), "volume", 5.0),  # Monday x5
    Fault("orders", "orders_clean", _at(11, 2), "volume", 0.3),  # Wednesday at weekend level
    Fault("customers", "customers_dim", _at(8, 12), "fail"),  # Sunday: a failed run
    Fault("customers", "customers_dim", _at(10, 12), "quality", 0.3),  # Tuesday: 70 % valid
    Fault("events", "events_clean", _at(8, 14, 5), "duration", 6.0),
    Fault("events", "events_raw", _at(9, 3, 5), "duration", 0.1),
    Fault("events", "events_clean", _at(10, 10, 5), "quality", 0.05),  # 95 % valid, usually 60
)


def scenario(seed: int = 7) -> list[dict[str, Any]]:
    """Return the standard scenario's rows: 75 days up to :data:`AS_OF` (about 2,500 rows)."""
    return generate(
        PIPELINES, begin=AS_OF - timedelta(days=75), end=AS_OF, faults=FAULTS, seed=seed
    )
