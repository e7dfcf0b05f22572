"""How a pipeline runs: [`sparkforge.PipelineConfig`][] and [`sparkforge.ValidationThresholds`][].

Configuration models validate in ``__post_init__``: every problem is collected, then one
[`ConfigurationError`][sparkforge.errors.ConfigurationError] (``CONFIG_INVALID``) names them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from sparkforge._parsing import join_path
from sparkforge.errors import ConfigurationError, ProblemCollector
from sparkforge.models._base import Model
from sparkforge.models.enums import Phase

if TYPE_CHECKING:
    from typing_extensions import Self

    from sparkforge._parsing import Reader

__all__ = ["PipelineConfig", "ValidationThresholds"]


def _check_rate(problems: ProblemCollector, option: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.add(option, f"expected a number, got {value!r}")
    elif not (0.0 <= float(value) <= 100.0):
        problems.add(option, f"must be a percentage in 0-100, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationThresholds(Model):
    """The minimum validation rate (percent) a step of each phase must reach.

    A step whose rate is below its phase's minimum fails with a
    [`ValidationError`][sparkforge.errors.ValidationError] recorded in the report.

    Raises
    ------
    ConfigurationError
        ``CONFIG_INVALID``, naming every rate that is not a number in 0-100.

    Examples
    --------
    >>> ValidationThresholds(silver=99.5).minimum(Phase.SILVER)
    99.5
    """

    bronze: float = 95.0
    silver: float = 98.0
    gold: float = 99.0

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        for phase in Phase:
            _check_rate(problems, f"ValidationThresholds.{phase.value}", getattr(self, phase.value))
        problems.raise_config_error()

    def minimum(self, phase: Phase) -> float:
        """Return the minimum rate of ``phase``.

        Examples
        --------
        >>> ValidationThresholds().minimum(Phase.BRONZE), ValidationThresholds().minimum(Phase.GOLD)
        (95.0, 99.0)
        """
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
            _report_fields(reader, exc, path)
            return None


_CONFIG_FLAGS = ("quarantine_invalid", "raise_on_failure")


def _report_fields(reader: Reader, exc: ConfigurationError, path: str) -> None:
    # "ValidationThresholds.silver" (the option) is the field "silver" of the dict being read.
    for problem in exc.problems:
        reader.fail(join_path(path, problem.path.rpartition(".")[2]), problem.reason)


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineConfig(Model):
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
        Raise [`PipelineError`][sparkforge.errors.PipelineError] when a run fails, instead of only
        recording the failure in its report.

    Raises
    ------
    ConfigurationError
        ``CONFIG_INVALID``, naming every invalid option.

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
        problems = ProblemCollector()
        thresholds: object = self.thresholds
        if not isinstance(thresholds, ValidationThresholds):
            problems.add(
                "PipelineConfig.thresholds",
                f"expected ValidationThresholds, got {type(thresholds).__name__} {thresholds!r}",
            )
        steps: object = self.max_parallel_steps
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            problems.add(
                "PipelineConfig.max_parallel_steps", f"expected an integer >= 1, got {steps!r}"
            )
        for option in _CONFIG_FLAGS:
            value = getattr(self, option)
            if not isinstance(value, bool):
                problems.add(f"PipelineConfig.{option}", f"expected a bool, got {value!r}")
        problems.raise_config_error()

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
            _report_fields(reader, exc, path)
            return None
