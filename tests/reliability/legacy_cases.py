"""Hypothesis strategies of the bad-input test: malformed legacy report dicts.

A case starts from a valid legacy dict (every block and key may be missing; numbers in any form
``int()`` / ``float()`` convert; naive and aware datetimes; NaN rates; unicode, hostile and
10,000-character step names) and then, most of the time, gets one to three poisons: the places
where the legacy code crashed (see ``sparkforge.writer.legacy.flatten_report_min``), where the
compatible API must raise ``WriterValidationError`` instead. A poison of the run block only
counts when the dict has a step (the legacy code read the run block only to build a row).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, cast

from hypothesis import strategies as st

from tests.reliability.report_cases import (
    BEFORE_YEAR_ONE,
    CLEAN_ODDS,
    FAR_ODDS,
    far_starts,
    lucky,
    names,
    near_starts,
    short_names,
    zones,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from tests.reliability.report_cases import Verdict


@dataclass(frozen=True)
class LegacyCase:
    """A legacy report dict (or whatever is passed as one) and what must happen to it."""

    report: object
    poisons: tuple[str, ...]
    doubtful: bool

    @property
    def verdict(self) -> Verdict:
        """What the legacy writer must do with the case."""
        if self.poisons:
            return "reject"
        return "either" if self.doubtful else "accept"


class _DatetimeSubclass(datetime):
    """A datetime subclass (as pandas.Timestamp is): PySpark refuses it."""


_LEGACY_PHASES = ("bronze", "silver", "gold")
_int32 = st.integers(-(2**31), 2**31 - 1)
# What int() turns into a 32-bit int (the legacy code converted with int()).
_legacy_ints = st.one_of(
    _int32,
    _int32.map(str),
    st.booleans(),
    st.floats(-(2**31) + 1, 2**31 - 1, allow_nan=False),
    st.integers(0, 99).map(lambda n: f" {n}\n"),
)
_legacy_rates = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**6), 10**6),
    st.sampled_from(["97.5", "nan", "-inf", "1e300", " 12 "]),
    st.booleans(),
)
LEGACY_BAD_INTS: tuple[object, ...] = (
    None,
    "abc",
    "1.5",
    "",
    [1],
    {},
    math.nan,
    math.inf,
    2**31,
    -(2**31) - 1,
    3e9,
    "9999999999",
    10**30,
    3 + 0j,
)
LEGACY_BAD_RATES: tuple[object, ...] = (None, "abc", "", [1], {}, 10**400, 3 + 0j)
LEGACY_BAD_INSTANTS: tuple[object, ...] = (
    "2026-01-01T00:00:00",
    1_767_225_600,
    date(2026, 1, 1),
    _DatetimeSubclass(2026, 1, 1),
    BEFORE_YEAR_ONE,
)
LEGACY_BAD_TEXT: tuple[object, ...] = (5, b"lake.t", ["lake"], True)
LEGACY_NOT_DICTS: tuple[object, ...] = ("x", 5, [], [("k", "v")], None, ("a",))


def _legacy_instant(draw: st.DrawFn, *, far: bool) -> datetime | None:
    if far:
        moment = draw(far_starts).replace(tzinfo=timezone.utc)
        return moment
    moment = draw(near_starts)
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return None
    if choice == 1:
        return moment  # naive: legacy users passed local wall times
    return moment.replace(tzinfo=timezone.utc).astimezone(draw(zones))


@st.composite
def _legacy_block(draw: st.DrawFn, keys: Mapping[str, Callable[[], object]]) -> dict[str, object]:
    """Draw a block with each key present or missing."""
    return {key: make() for key, make in keys.items() if draw(st.integers(0, 3)) > 0}


@st.composite
def _valid_legacy(draw: st.DrawFn, *, far: bool) -> dict[str, object]:
    def instant() -> datetime | None:
        return _legacy_instant(draw, far=far)

    def validation() -> dict[str, object]:
        return draw(
            _legacy_block(
                {
                    "start_at": instant,
                    "end_at": instant,
                    "valid_rows": lambda: draw(_legacy_ints),
                    "invalid_rows": lambda: draw(_legacy_ints),
                    "validation_rate": lambda: draw(_legacy_rates),
                }
            )
        )

    def transform() -> object:
        if draw(st.integers(0, 3)) == 0:
            return None
        return draw(
            _legacy_block(
                {
                    "start_at": instant,
                    "end_at": instant,
                    "input_rows": lambda: draw(_legacy_ints),
                    "output_rows": lambda: draw(_legacy_ints),
                }
            )
        )

    def write() -> dict[str, object]:
        return draw(
            _legacy_block(
                {
                    "start_at": instant,
                    "end_at": instant,
                    "mode": lambda: draw(st.sampled_from(["append", "overwrite"]) | names),
                    "rows_written": lambda: draw(_legacy_ints),
                }
            )
        )

    report: dict[str, object] = {}
    if draw(st.integers(0, 4)) > 0:
        report["run"] = draw(
            _legacy_block(
                {
                    "mode": lambda: draw(st.sampled_from(["initial", "incremental"]) | names),
                    "started_at": instant,
                    "ended_at": instant,
                }
            )
        )
    for phase in _LEGACY_PHASES:
        if draw(st.integers(0, 4)) == 0:
            continue
        steps: dict[str, object] = {}
        for name in draw(st.lists(names, max_size=3, unique=True)):
            if phase == "bronze":
                steps[name] = draw(_legacy_block({"validation": validation}))
            else:
                steps[name] = draw(
                    _legacy_block(
                        {
                            "transform": transform,
                            "write": write,
                            "validation": validation,
                            "table_fqn": lambda: draw(st.none() | names),
                        }
                    )
                )
        report[phase] = steps
    return report


def _has_steps(report: Mapping[str, object]) -> bool:
    """Whether the legacy code would build any row (so it reads the run block)."""
    return any(
        isinstance(report.get(phase), dict) and bool(report[phase]) for phase in _LEGACY_PHASES
    )


def _dict_at(container: dict[str, object], key: str) -> dict[str, object]:
    """Return ``container[key]`` as a dict, replacing whatever else is there with one."""
    value = container.get(key)
    if not isinstance(value, dict):
        value = {}
        container[key] = value
    return value


def _legacy_poison(draw: st.DrawFn, report: dict[str, object]) -> tuple[str, bool] | None:
    """Poison ``report`` in place; return the path and whether it needs a step to count."""
    kind = draw(
        st.sampled_from(
            ["run", "phase", "entry", "key", "block", "number", "rate", "instant", "text"]
        )
    )
    if kind == "run":
        # The legacy code read the run block only to build a row: give it a step to build.
        for phase in _LEGACY_PHASES:
            if not _has_steps(report) and isinstance(report.get(phase, {}), dict):
                _dict_at(report, phase)[draw(short_names)] = {}
        which = draw(st.sampled_from(["<block>", "mode", "started_at", "ended_at"]))
        if which == "<block>":
            report["run"] = draw(st.sampled_from(LEGACY_NOT_DICTS))
            return "run", True
        run = _dict_at(report, "run")
        bad = None if which == "mode" else draw(st.sampled_from(LEGACY_BAD_INSTANTS))
        if which == "mode" and draw(st.booleans()):
            bad = draw(st.sampled_from(LEGACY_BAD_TEXT))
        run[which] = bad
        return f"run.{which}", True
    phase = draw(st.sampled_from(_LEGACY_PHASES))
    if kind == "phase":
        report[phase] = draw(st.sampled_from(LEGACY_NOT_DICTS))
        return phase, False
    steps = _dict_at(report, phase)
    if kind == "key":
        odd_key: object = draw(st.sampled_from([5, (1, 2), None, 2.5]))
        any_keys = cast("dict[object, object]", steps)
        any_keys[odd_key] = {}
        return f"{phase}[{list(any_keys).index(odd_key)}]", False
    existing = [n for n in cast("dict[object, object]", steps) if isinstance(n, str)]
    reuse = draw(st.booleans())
    name = draw(st.sampled_from(existing)) if existing and reuse else draw(short_names)
    if name not in steps:
        steps[name] = {}
    path = f"{phase}.{name}"
    if kind == "entry":
        steps[name] = draw(st.sampled_from(LEGACY_NOT_DICTS))
        return path, False
    entry = _dict_at(steps, name)
    blocks = ["validation"] if phase == "bronze" else ["validation", "write", "transform"]
    block_name = draw(st.sampled_from(blocks))
    if kind == "block":
        if block_name == "transform":
            # Silver takes any falsy transform as absent; gold takes only None as absent.
            pool = ["x", 5, [1], ("t",)] if phase == "silver" else ["x", 0, "", [], False]
            entry["transform"] = draw(st.sampled_from(pool))
        else:
            entry[block_name] = draw(st.sampled_from(LEGACY_NOT_DICTS))
        return f"{path}.{block_name}", False
    if kind == "text":
        if phase == "bronze":
            return None
        if draw(st.booleans()):
            entry["table_fqn"] = draw(st.sampled_from(LEGACY_BAD_TEXT))
            return f"{path}.table_fqn", False
        _dict_at(entry, "write")["mode"] = draw(st.sampled_from(LEGACY_BAD_TEXT))
        return f"{path}.write.mode", False
    if kind == "instant":
        moment = draw(st.sampled_from(["start_at", "end_at"]))
        bad = draw(st.sampled_from(LEGACY_BAD_INSTANTS))
        if phase == "bronze":
            _dict_at(entry, "validation")[moment] = bad
            return f"{path}.validation.{moment}", False
        # The first truthy of transform, validation, write is used: put it first in line.
        for chained in ("transform", "validation", "write"):
            _dict_at(entry, chained)[moment] = bad
        return f"{path}.transform.{moment}", False
    if kind == "rate":
        _dict_at(entry, "validation")["validation_rate"] = draw(st.sampled_from(LEGACY_BAD_RATES))
        return f"{path}.validation.validation_rate", False
    block = _dict_at(entry, block_name)
    keys = {
        "validation": ["valid_rows", "invalid_rows"],
        "write": ["rows_written"],
        "transform": ["input_rows", "output_rows"],
    }[block_name]
    count = draw(st.sampled_from(keys))
    block[count] = draw(st.sampled_from(LEGACY_BAD_INTS))
    return f"{path}.{block_name}.{count}", False


@st.composite
def legacy_cases(draw: st.DrawFn) -> LegacyCase:
    """Draw a legacy report dict: valid variations, then (mostly) one to three poisons."""
    far = lucky(draw(near_starts), FAR_ODDS, "far")
    report = draw(_valid_legacy(far=far))
    if draw(st.integers(0, 99)) == 0:
        other = draw(st.sampled_from([None, [report], "report", 7, ("run",)]))
        return LegacyCase(report=other, poisons=("report",), doubtful=far)
    clean = lucky(report, CLEAN_ODDS, "clean")
    wanted = 0 if clean else draw(st.integers(1, 3))
    applied: list[tuple[str, bool]] = []
    attempts = 0
    while len(applied) < wanted and attempts < 10:
        attempts += 1
        outcome = _legacy_poison(draw, report)
        if outcome is not None:
            applied.append(outcome)
    poisons = tuple(path for path, needs_steps in applied if not needs_steps or _has_steps(report))
    return LegacyCase(report=report, poisons=poisons, doubtful=far)
