"""Pure data of sparkforge: enums, step and run results, contexts and configuration.

Nothing here imports pyspark, so reports can be built, serialised and checked without a JVM.
Every model round-trips through ``to_dict()`` / ``from_dict()`` as JSON-safe data: instants
are ISO 8601 strings with a UTC offset, enums their values, tuples lists. ``from_dict`` checks
the shape and types of its input and raises :class:`~sparkforge.errors.ValidationError` naming
the path of every bad field.

Result models (:class:`StepResult`, :class:`PipelineReport` ...) do not validate themselves on
construction: the runner builds them from measurements, and whoever consumes one from outside
(the log writer) checks it at its own boundary. Configuration models validate in
``__post_init__`` and raise :class:`~sparkforge.errors.ConfigurationError`.
"""

from __future__ import annotations

import traceback as traceback_module
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, NoReturn, cast

from sparkforge._parsing import Reader, join_path
from sparkforge.errors import ConfigurationError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance
    from typing_extensions import Self

__all__ = [
    "ErrorInfo",
    "ExecutionContext",
    "JsonDict",
    "Phase",
    "PipelineConfig",
    "PipelineMetrics",
    "PipelineReport",
    "RuleResult",
    "RunMode",
    "RunStatus",
    "StepResult",
    "StepStatus",
    "TableWriteMode",
    "utc_now",
    "ValidationThresholds",
]

#: A JSON-safe dictionary, as produced by ``to_dict``.
JsonDict = dict[str, object]

#: How a step writes its table.
TableWriteMode = Literal["append", "overwrite"]
_TABLE_WRITE_MODES: tuple[str, ...] = ("append", "overwrite")


def utc_now() -> datetime:
    """Return the current instant as a UTC-aware datetime."""
    return datetime.now(timezone.utc)


class _ValueEnum(str, Enum):
    """A ``str`` enum that prints as its value on every Python version."""

    def __str__(self) -> str:
        return str(self.value)


class Phase(_ValueEnum):
    """The Medallion layer a step belongs to."""

    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


class RunMode(_ValueEnum):
    """How a pipeline run treats its tables."""

    INITIAL = "initial"
    INCREMENTAL = "incremental"
    FULL_REFRESH = "full_refresh"
    VALIDATION_ONLY = "validation_only"


class StepStatus(_ValueEnum):
    """The outcome of one step."""

    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"


class RunStatus(_ValueEnum):
    """The outcome of a whole run."""

    SUCCESS = "success"
    FAILED = "failed"


def _to_json(value: object) -> object:
    if isinstance(value, _Model):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    return value


class _Model:
    """Base of the models: ``from_dict`` on top of each model's path-aware ``_read``."""

    __slots__ = ()

    def to_dict(self) -> JsonDict:
        """Return the model as JSON-safe data (``json.dumps`` accepts it as is).

        Instants become ISO 8601 strings with their UTC offset, enums their values, tuples
        lists and nested models dicts.
        """
        return {
            f.name: _to_json(getattr(self, f.name)) for f in fields(cast("DataclassInstance", self))
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        """Build the model from ``to_dict`` output, rejecting malformed input.

        Parameters
        ----------
        data
            A mapping shaped like the model's ``to_dict`` output.

        Returns
        -------
        Self
            The model.

        Raises
        ------
        ValidationError
            ``MODEL_INVALID``, listing the path of every bad field (``steps[2].phase`` ...).
        """
        reader = Reader(cls.__name__)
        result = cls._read(reader, data, "")
        reader.check()
        return cast("Self", result)

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        raise NotImplementedError


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleResult(_Model):
    """How many rows failed one validation rule of a step.

    Parameters
    ----------
    rule
        The rule's name.
    column
        The column the rule checks, or None for a rule over several columns.
    failed_rows
        Rows for which the rule was false or NULL.
    """

    rule: str
    column: str | None
    failed_rows: int

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        rule = reader.string(m, "rule", path)
        column = reader.string(m, "column", path, optional=True)
        failed = reader.integer(m, "failed_rows", path)
        if rule is None or failed is None:
            return None
        return cls(rule=rule, column=column, failed_rows=failed)


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorInfo(_Model):
    """What went wrong: the exception's type, message and (optionally) traceback.

    Parameters
    ----------
    type
        The exception class name, e.g. ``"ValidationError"``.
    message
        The exception's message.
    traceback
        The formatted traceback, if kept.
    """

    type: str
    message: str
    traceback: str | None = None

    @classmethod
    def from_exception(cls, exc: BaseException, *, with_traceback: bool = True) -> Self:
        """Describe ``exc``.

        Parameters
        ----------
        exc
            The exception to describe.
        with_traceback
            Whether to keep the formatted traceback.

        Returns
        -------
        ErrorInfo
            The exception's type name, message and traceback.

        Examples
        --------
        >>> ErrorInfo.from_exception(ValueError("bad"), with_traceback=False)
        ErrorInfo(type='ValueError', message='bad', traceback=None)
        """
        text = "".join(traceback_module.format_exception(exc)) if with_traceback else None
        return cls(type=type(exc).__name__, message=str(exc), traceback=text)

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        type_name = reader.string(m, "type", path)
        message = reader.string(m, "message", path)
        text = reader.string(m, "traceback", path, optional=True)
        if type_name is None or message is None:
            return None
        return cls(type=type_name, message=message, traceback=text)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepResult(_Model):
    """What one step of a run read, wrote, rejected, and how long it took.

    Counts are measured while the step runs; ``None`` means "not measured" (for example the
    counts of a step that failed before validating, or every count of a skipped step).

    Parameters
    ----------
    step_name
        The step's unique name in its pipeline.
    phase
        The Medallion layer of the step.
    status
        Whether the step succeeded, failed or was skipped.
    started_at, ended_at
        UTC instants the step started and ended; ``None`` only for a skipped step.
    duration_secs
        Seconds the step took, from a monotonic clock; ``None`` only for a skipped step.
    table_fqn
        The table the step wrote (silver and gold), as ``schema.table``.
    write_mode
        How the step wrote its table: ``"append"`` or ``"overwrite"``.
    input_rows
        Rows the step read from its source.
    output_rows
        Rows the step validated: what its transform produced (for bronze, the rows read).
    rows_written
        Rows written to the step's table.
    valid_rows, invalid_rows
        Validated rows that passed and failed the step's rules; they add up to
        ``output_rows``.
    validation_rate
        ``valid_rows`` as a percentage (0-100) of the rows validated; 100.0 when none were.
    rule_results
        Failed rows per rule.
    previous_watermark
        The watermark an incremental step started from.
    filtered_rows
        Rows an incremental step dropped because they were not newer than the watermark.
    error
        Why the step failed, or was skipped.
    """

    step_name: str
    phase: Phase
    status: StepStatus
    started_at: datetime | None
    ended_at: datetime | None
    duration_secs: float | None
    table_fqn: str | None = None
    write_mode: TableWriteMode | None = None
    input_rows: int | None = None
    output_rows: int | None = None
    rows_written: int | None = None
    valid_rows: int | None = None
    invalid_rows: int | None = None
    validation_rate: float | None = None
    rule_results: tuple[RuleResult, ...] = ()
    previous_watermark: datetime | None = None
    filtered_rows: int | None = None
    error: ErrorInfo | None = None

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        before = len(reader.problems)
        name = reader.string(m, "step_name", path)
        phase = reader.enum(m, "phase", path, Phase)
        status = reader.enum(m, "status", path, StepStatus)
        write_mode = reader.string(m, "write_mode", path, optional=True)
        if write_mode is not None and write_mode not in _TABLE_WRITE_MODES:
            reader.fail(
                join_path(path, "write_mode"), f"expected append or overwrite, got {write_mode!r}"
            )
        rules_raw = reader.items(m, "rule_results", path)
        rules = [
            RuleResult._read(reader, item, f"{join_path(path, 'rule_results')}[{i}]")
            for i, item in enumerate(rules_raw or [])
        ]
        error_raw = reader.get(m, "error", path, optional=True)
        error = (
            None
            if error_raw is None
            else ErrorInfo._read(reader, error_raw, join_path(path, "error"))
        )
        result = cls(
            step_name=cast("str", name),
            phase=cast("Phase", phase),
            status=cast("StepStatus", status),
            started_at=reader.instant(m, "started_at", path, optional=True),
            ended_at=reader.instant(m, "ended_at", path, optional=True),
            duration_secs=reader.number(m, "duration_secs", path, optional=True),
            table_fqn=reader.string(m, "table_fqn", path, optional=True),
            write_mode=cast("TableWriteMode | None", write_mode),
            input_rows=reader.integer(m, "input_rows", path, optional=True),
            output_rows=reader.integer(m, "output_rows", path, optional=True),
            rows_written=reader.integer(m, "rows_written", path, optional=True),
            valid_rows=reader.integer(m, "valid_rows", path, optional=True),
            invalid_rows=reader.integer(m, "invalid_rows", path, optional=True),
            validation_rate=reader.number(m, "validation_rate", path, optional=True),
            rule_results=tuple(r for r in rules if r is not None),
            previous_watermark=reader.instant(m, "previous_watermark", path, optional=True),
            filtered_rows=reader.integer(m, "filtered_rows", path, optional=True),
            error=error,
        )
        return None if len(reader.problems) > before else result


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineMetrics(_Model):
    """Totals over the steps of one run.

    Parameters
    ----------
    total_steps, successful_steps, failed_steps, skipped_steps
        Steps by status.
    input_rows, rows_written, valid_rows, invalid_rows
        Sums of the measured step counts (unmeasured counts add nothing).
    steps_duration_secs
        Sum of the steps' durations; steps that ran concurrently overlap in it.
    """

    total_steps: int = 0
    successful_steps: int = 0
    failed_steps: int = 0
    skipped_steps: int = 0
    input_rows: int = 0
    rows_written: int = 0
    valid_rows: int = 0
    invalid_rows: int = 0
    steps_duration_secs: float = 0.0

    @classmethod
    def from_steps(cls, steps: tuple[StepResult, ...]) -> Self:
        """Add up the steps of a run.

        Examples
        --------
        >>> PipelineMetrics.from_steps(()).total_steps
        0
        """
        by_status = dict.fromkeys(StepStatus, 0)
        for step in steps:
            by_status[step.status] += 1
        return cls(
            total_steps=len(steps),
            successful_steps=by_status[StepStatus.SUCCESS],
            failed_steps=by_status[StepStatus.FAILED],
            skipped_steps=by_status[StepStatus.SKIPPED],
            input_rows=sum(s.input_rows or 0 for s in steps),
            rows_written=sum(s.rows_written or 0 for s in steps),
            valid_rows=sum(s.valid_rows or 0 for s in steps),
            invalid_rows=sum(s.invalid_rows or 0 for s in steps),
            steps_duration_secs=sum(s.duration_secs or 0.0 for s in steps),
        )

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        counts = {
            key: reader.integer(m, key, path)
            for key in (
                "total_steps",
                "successful_steps",
                "failed_steps",
                "skipped_steps",
                "input_rows",
                "rows_written",
                "valid_rows",
                "invalid_rows",
            )
        }
        duration = reader.number(m, "steps_duration_secs", path)
        if duration is None or any(v is None for v in counts.values()):
            return None
        return cls(steps_duration_secs=duration, **cast("dict[str, int]", counts))


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionContext(_Model):
    """Where and how a run executed.

    Parameters
    ----------
    run_id
        The run's UUID, as a string.
    pipeline_name
        The pipeline's name.
    mode
        How the run treated its tables.
    started_at, ended_at
        UTC instants the run started and ended (``ended_at`` is None while it runs).
    spark_version, app_id, user, host
        Facts of the environment, when known.
    tags
        Free-form labels (environment name, job id, git sha ...).
    """

    run_id: str
    pipeline_name: str
    mode: RunMode
    started_at: datetime
    ended_at: datetime | None = None
    spark_version: str | None = None
    app_id: str | None = None
    user: str | None = None
    host: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Freeze the tags too: a frozen context must not change under a report that holds it.
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))

    def facts(self) -> dict[str, str]:
        """Return the known environment facts and the tags as one flat string mapping.

        Tags win over facts of the same name.

        Examples
        --------
        >>> ctx = ExecutionContext(run_id="r", pipeline_name="p", mode=RunMode.INITIAL,
        ...     started_at=utc_now(), user="ana", tags={"env": "dev"})
        >>> ctx.facts()
        {'user': 'ana', 'env': 'dev'}
        """
        facts = {
            key: value
            for key, value in (
                ("spark_version", self.spark_version),
                ("app_id", self.app_id),
                ("user", self.user),
                ("host", self.host),
            )
            if value is not None
        }
        facts.update(self.tags)
        return facts

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        before = len(reader.problems)
        result = cls(
            run_id=cast("str", reader.string(m, "run_id", path)),
            pipeline_name=cast("str", reader.string(m, "pipeline_name", path)),
            mode=cast("RunMode", reader.enum(m, "mode", path, RunMode)),
            started_at=cast("datetime", reader.instant(m, "started_at", path)),
            ended_at=reader.instant(m, "ended_at", path, optional=True),
            spark_version=reader.string(m, "spark_version", path, optional=True),
            app_id=reader.string(m, "app_id", path, optional=True),
            user=reader.string(m, "user", path, optional=True),
            host=reader.string(m, "host", path, optional=True),
            tags=reader.string_map(m, "tags", path) or {},
        )
        return None if len(reader.problems) > before else result


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineReport(_Model):
    """Everything one pipeline run did, in execution order.

    Parameters
    ----------
    run_id
        The run's UUID, as a string.
    pipeline_name
        The pipeline's name.
    mode
        How the run treated its tables.
    status
        ``failed`` when any step failed or the run failed outside a step.
    started_at, ended_at
        UTC instants the run started and ended.
    steps
        The steps' results in execution order (skipped steps included).
    metrics
        Totals over ``steps``.
    context
        Where and how the run executed.
    error
        Why the run failed outside any step (for example before its first step);
        ``None`` when it did not, or when the failure is a step's (see that step's ``error``).
    """

    run_id: str
    pipeline_name: str
    mode: RunMode
    status: RunStatus
    started_at: datetime
    ended_at: datetime
    steps: tuple[StepResult, ...] = ()
    metrics: PipelineMetrics = field(default_factory=PipelineMetrics)
    context: ExecutionContext | None = None
    error: ErrorInfo | None = None

    def step(self, name: str) -> StepResult:
        """Return the result of the step called ``name``.

        Raises
        ------
        KeyError
            If the run has no such step.
        """
        for step in self.steps:
            if step.step_name == name:
                return step
        raise KeyError(name)

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        before = len(reader.problems)
        steps_raw = reader.items(m, "steps", path)
        steps = [
            StepResult._read(reader, item, f"{join_path(path, 'steps')}[{i}]")
            for i, item in enumerate(steps_raw or [])
        ]
        kept = tuple(s for s in steps if s is not None)
        metrics_raw = reader.get(m, "metrics", path, optional=True)
        context_raw = reader.get(m, "context", path, optional=True)
        error_raw = reader.get(m, "error", path, optional=True)
        metrics = (
            PipelineMetrics.from_steps(kept)
            if metrics_raw is None
            else PipelineMetrics._read(reader, metrics_raw, join_path(path, "metrics"))
        )
        result = cls(
            run_id=cast("str", reader.string(m, "run_id", path)),
            pipeline_name=cast("str", reader.string(m, "pipeline_name", path)),
            mode=cast("RunMode", reader.enum(m, "mode", path, RunMode)),
            status=cast("RunStatus", reader.enum(m, "status", path, RunStatus)),
            started_at=cast("datetime", reader.instant(m, "started_at", path)),
            ended_at=cast("datetime", reader.instant(m, "ended_at", path)),
            steps=kept,
            metrics=metrics or PipelineMetrics(),
            context=(
                None
                if context_raw is None
                else ExecutionContext._read(reader, context_raw, join_path(path, "context"))
            ),
            error=(
                None
                if error_raw is None
                else ErrorInfo._read(reader, error_raw, join_path(path, "error"))
            ),
        )
        return None if len(reader.problems) > before else result


# --------------------------------------------------------------------------- configuration


def _config_error(option: str, reason: str) -> NoReturn:
    raise ConfigurationError("CONFIG_INVALID", {"option": option, "reason": reason})


def _check_rate(option: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _config_error(option, f"expected a number, got {value!r}")
    if not (0.0 <= float(value) <= 100.0):
        _config_error(option, f"must be a percentage in 0-100, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationThresholds(_Model):
    """The minimum validation rate (percent) a step of each phase must reach.

    A step whose rate is below its phase's minimum fails with a
    :class:`~sparkforge.errors.ValidationError` recorded in the report.

    Examples
    --------
    >>> ValidationThresholds(silver=99.5).minimum(Phase.SILVER)
    99.5
    """

    bronze: float = 95.0
    silver: float = 98.0
    gold: float = 99.0

    def __post_init__(self) -> None:
        for phase in Phase:
            _check_rate(f"ValidationThresholds.{phase.value}", getattr(self, phase.value))

    def minimum(self, phase: Phase) -> float:
        """Return the minimum rate of ``phase``."""
        return float(getattr(self, phase.value))

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        rates = {phase.value: reader.number(m, phase.value, path) for phase in Phase}
        if any(rate is None for rate in rates.values()):
            return None
        try:
            return cls(**cast("dict[str, float]", rates))
        except ConfigurationError as exc:
            reader.fail(path or "<root>", exc.params["reason"])
            return None


_CONFIG_FLAGS = ("quarantine_invalid", "raise_on_failure")


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineConfig(_Model):
    """How a pipeline runs.

    Parameters
    ----------
    thresholds
        Minimum validation rate per phase.
    max_parallel_steps
        How many independent steps may run at once, in threads of the driver (1 runs them
        one by one). Silver steps that do not depend on each other are the ones that gain.
    quarantine_invalid
        Append the invalid rows of silver and gold steps to a ``<table>_quarantine`` Delta
        table, with the rules each row failed, the run id and the instant.
    raise_on_failure
        Raise :class:`~sparkforge.errors.PipelineError` when a run fails, instead of only
        recording the failure in its report.

    Examples
    --------
    >>> PipelineConfig(thresholds=ValidationThresholds(bronze=90.0)).thresholds.bronze
    90.0
    """

    thresholds: ValidationThresholds = field(default_factory=ValidationThresholds)
    max_parallel_steps: int = 1
    quarantine_invalid: bool = False
    raise_on_failure: bool = False

    def __post_init__(self) -> None:
        thresholds: object = self.thresholds
        if not isinstance(thresholds, ValidationThresholds):
            _config_error(
                "PipelineConfig.thresholds",
                f"expected ValidationThresholds, got {type(thresholds).__name__}",
            )
        steps: object = self.max_parallel_steps
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            _config_error(
                "PipelineConfig.max_parallel_steps", f"expected an integer >= 1, got {steps!r}"
            )
        for option in _CONFIG_FLAGS:
            value = getattr(self, option)
            if not isinstance(value, bool):
                _config_error(f"PipelineConfig.{option}", f"expected a bool, got {value!r}")

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        before = len(reader.problems)
        thresholds_raw = reader.get(m, "thresholds", path, optional=True)
        thresholds = (
            ValidationThresholds()
            if thresholds_raw is None
            else ValidationThresholds._read(reader, thresholds_raw, join_path(path, "thresholds"))
        )
        steps = reader.integer(m, "max_parallel_steps", path)
        flags = {key: reader.boolean(m, key, path) for key in _CONFIG_FLAGS}
        if len(reader.problems) > before:
            return None
        try:
            return cls(
                thresholds=cast("ValidationThresholds", thresholds),
                max_parallel_steps=cast("int", steps),
                **cast("dict[str, bool]", flags),
            )
        except ConfigurationError as exc:
            reader.fail(path or "<root>", exc.params["reason"])
            return None
