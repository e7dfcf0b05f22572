"""The legacy report dict -> legacy rows, checking every place the legacy code crashed.

Private helper of `sparkforge.writer.legacy` (``flatten_report_min`` and the legacy
writer); the rules are in docs/legacy.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from pyspark.sql import types as T

from sparkforge.errors import ProblemCollector
from sparkforge.validation.report_checks import MIN_INSTANT
from sparkforge.writer._legacy_schema import _LEGACY_COLUMNS
from sparkforge.writer.exceptions import WriterValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sparkforge.writer.legacy import MinimalLogRow

__all__ = ["flatten_legacy_report"]

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_PHASES = ("bronze", "silver", "gold")
_TIMESTAMP = T.TimestampType()
#: A naive instant is in the session's zone (<= 18 h from UTC): held to a day after the oldest.
_OLDEST_NAIVE = MIN_INSTANT.replace(tzinfo=None) + timedelta(days=1)


def _describe(value: object) -> str:
    """``type value`` for a message, short, and safe for any object (repr may fail)."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__, or an int too long to print
        text = "<unprintable>"
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


class _Flattener:
    """Build the legacy rows of one report, recording each place the legacy code crashed.

    Every check mirrors one operation of the legacy code: ``.get`` on a block (it must be a
    dict), ``int()`` / ``float()`` (whatever they raise), truthiness in ``a or b or c``, and
    what ``createDataFrame(rows, MIN_LOG_SCHEMA)`` then refused (None in a NOT NULL column,
    an int outside 32 bits, a timestamp that is not a ``datetime``).
    """

    def __init__(self) -> None:
        self.problems = ProblemCollector()

    def fail(self, path: str, reason: str) -> None:
        self.problems.add(path, reason)

    def mapping(self, value: object, path: str) -> Mapping[str, object] | None:
        if isinstance(value, Mapping):
            return cast("Mapping[str, object]", value)
        self.fail(path, f"expected a dict, got {_describe(value)}")
        return None

    def block(self, record: Mapping[str, object], key: str, path: str) -> Mapping[str, object]:
        # record.get(key, {}): a missing block is empty, a present one must be a dict.
        if key not in record:
            return {}
        return self.mapping(record[key], f"{path}.{key}" if path else key) or {}

    def truthy(self, value: object, path: str) -> bool:
        try:
            return bool(value)
        except Exception as exc:  # the legacy `or` chain crashed on it
            self.fail(path, f"its truth value cannot be determined ({type(exc).__name__})")
            return False

    def integer(self, block: Mapping[str, object], key: str, path: str) -> int | None:
        where, value = f"{path}.{key}", block.get(key, 0)
        if value is None:
            self.fail(where, "is None: int() cannot convert it (leave the key out for 0)")
            return None
        try:
            number: int = int(value)  # type: ignore[call-overload]
        except Exception as exc:  # int() of a user value may raise anything; legacy crashed
            self.fail(where, f"int() cannot convert {_describe(value)} ({type(exc).__name__})")
            return None
        if not _INT_MIN <= number <= _INT_MAX:
            shown = str(number) if number.bit_length() < 64 else f"a {number.bit_length()}-bit int"
            self.fail(where, f"{shown} does not fit the 32-bit INTEGER column")
            return None
        return number

    def rate(self, block: Mapping[str, object], path: str) -> float | None:
        where, value = f"{path}.validation_rate", block.get("validation_rate", 100.0)
        if value is None:
            self.fail(where, "is None: float() cannot convert it (leave the key out for 100.0)")
            return None
        try:
            return float(value)  # type: ignore[arg-type]
        except Exception as exc:  # as for int(): whatever float() raised, legacy crashed
            self.fail(where, f"float() cannot convert {_describe(value)} ({type(exc).__name__})")
            return None

    def instant(self, value: object, path: str) -> datetime | None:
        if value is None:
            return None
        # PySpark accepts exactly datetime.datetime (no subclass such as pandas.Timestamp).
        if type(value) is not datetime:
            self.fail(path, f"expected a datetime or None, got {_describe(value)}")
            return None
        try:
            _TIMESTAMP.toInternal(value)
        except Exception as exc:  # what createDataFrame does with it; e.g. year 1 at +05:00
            self.fail(path, f"cannot be stored as a timestamp ({type(exc).__name__})")
            return None
        # Spark 3.5 refuses to write an instant before 1900 (Parquet INT96 without a calendar
        # rebase), and only once the table is created; a naive one is in the session's zone
        # (<= 18 h from UTC), so it is held to a day later.
        oldest = MIN_INSTANT if value.utcoffset() is not None else _OLDEST_NAIVE
        if value < oldest:
            self.fail(path, f"is before {oldest.isoformat()}, which Spark 3.5 cannot write")
            return None
        return value

    def first_instant(
        self, blocks: Sequence[tuple[Mapping[str, object], str]], key: str
    ) -> datetime | None:
        # blocks[0][key] or blocks[1][key] or blocks[2][key]: the first truthy, else the last.
        value: object = None
        where = ""
        for block, path in blocks:
            value, where = block.get(key), f"{path}.{key}"
            if self.truthy(value, where):
                break
        return self.instant(value, where)

    def text(self, value: object, path: str, *, required: bool) -> str | None:
        if value is None:
            if required:
                self.fail(path, "is None, but the column is NOT NULL")
            return None
        # The legacy table stored the JVM's rendering of a non-str ("true", "{a=1}") or
        # crashed (a str subclass): the compatible API asks for a str.
        if type(value) is not str:
            self.fail(path, f"expected a str, got {_describe(value)}")
            return None
        return value


_Run = tuple[str | None, datetime | None, datetime | None]


def _row(run: _Run, phase: str, step: str, **values: object) -> MinimalLogRow:
    row: dict[str, object] = dict.fromkeys(_LEGACY_COLUMNS)
    row.update(run_mode=run[0], run_started_at=run[1], run_ended_at=run[2], phase=phase)
    row.update(step=step, **values)
    return cast("MinimalLogRow", row)


def flatten_legacy_report(report: object) -> list[MinimalLogRow]:
    """Do the work of ``flatten_report_min``, without the deprecation warning."""
    check = _Flattener()
    if not isinstance(report, Mapping):
        check.fail("report", f"expected a dict, got {_describe(report)}")
        raise _invalid(check.problems)
    blocks = [(phase, check.block(report, phase, "")) for phase in _PHASES]
    # The legacy code read the run block only while building a row.
    run: _Run = ("initial", None, None)
    if any(steps for _, steps in blocks):
        run_block = check.block(report, "run", "")
        run = (
            check.text(run_block.get("mode", "initial"), "run.mode", required=True),
            check.instant(run_block.get("started_at"), "run.started_at"),
            check.instant(run_block.get("ended_at"), "run.ended_at"),
        )
    rows: list[MinimalLogRow] = []
    for phase, steps in blocks:
        for index, (step, entry) in enumerate(steps.items()):
            if type(step) is str:
                path = f"{phase}.{step}"
            else:
                path = f"{phase}[{index}]"
                check.fail(path, f"a step name must be a str, got {_describe(step)}")
            record = check.mapping(entry, path) or {}
            v_path = f"{path}.validation"
            v = check.block(record, "validation", path)
            counts = {
                "valid_rows": check.integer(v, "valid_rows", v_path),
                "invalid_rows": check.integer(v, "invalid_rows", v_path),
                "validation_rate": check.rate(v, v_path),
            }
            if phase == "bronze":
                start = check.instant(v.get("start_at"), f"{v_path}.start_at")
                end = check.instant(v.get("end_at"), f"{v_path}.end_at")
                rows.append(_row(run, phase, step, start_time=start, end_time=end, **counts))
                continue
            t_path, w_path = f"{path}.transform", f"{path}.write"
            t: Mapping[str, object] | None = {}
            transform = record.get("transform")
            if phase == "silver":
                # `(t or {})` and `... if t else None`: any falsy transform counts as absent.
                has_t = check.truthy(transform, t_path)
                t = check.mapping(transform, t_path) if has_t else None
            elif transform is not None:
                t = check.mapping(transform, t_path)
            w = check.block(record, "write", path)
            chain = [(t or {}, t_path), (v, v_path), (w, w_path)]
            rows.append(
                _row(
                    run,
                    phase,
                    step,
                    start_time=check.first_instant(chain, "start_at"),
                    end_time=check.first_instant(chain, "end_at"),
                    table_fqn=check.text(
                        record.get("table_fqn"), f"{path}.table_fqn", required=False
                    ),
                    write_mode=check.text(w.get("mode"), f"{w_path}.mode", required=False),
                    input_rows=None if t is None else check.integer(t, "input_rows", t_path),
                    output_rows=None if t is None else check.integer(t, "output_rows", t_path),
                    rows_written=check.integer(w, "rows_written", w_path),
                    **counts,
                )
            )
    if check.problems:
        raise _invalid(check.problems)
    return rows


def _invalid(problems: ProblemCollector) -> WriterValidationError:
    return WriterValidationError(
        "WRITER_INPUT_INVALID",
        {"subject": "legacy report", "problems": problems.render()},
        problems=problems.problems,
    )
