"""Hostile identifiers and values: names are refused before Spark, values are kept verbatim.

Schema and table names Spark's session catalog cannot hold (quotes, backticks, semicolons,
spaces, hyphens, dots, non-ASCII letters, over 128 characters) are refused by ``WriterConfig``,
``TableRef`` and the legacy constructor without any Spark call (a stand-in session raises if
touched; the real session's catalog and warehouse are unchanged afterwards). Names that
quoting makes safe (SQL keywords, a digit first) are accepted, and work on real Spark.

The same strings, and worse (10,000 characters, NUL, RTL overrides,
emoji), used as pipeline names, step names, tags, table names and error messages are stored
and read back exactly, by Spark (also through ``read_logs`` filters) and by delta-rs.
"""

from __future__ import annotations

import re
import time
import uuid
import warnings
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparkforge import table_operations as ops
from sparkforge.errors import TableOperationError
from sparkforge.models import ErrorInfo, RuleResult, StepStatus
from sparkforge.table_operations import RESERVED_WORDS, TableRef, validate_identifier
from sparkforge.writer import (
    LogWriter,
    WriterConfig,
    WriterError,
    WriterValidationError,
)
from tests.factories import make_report
from tests.reliability.support import (
    HOSTILE_STRINGS,
    delta_rs_rows,
    expected_rows,
    no_spark,
    record_figures,
    spark_rows,
)
from tests.reliability.writer_child import LOGGED_AT, fixed_clock

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sparkforge.models import PipelineReport

#: Names no schema or table may have: the hostile strings, and more.
HOSTILE_IDENTIFIERS: tuple[str, ...] = (
    # SELECT, drop, NULL ...: keywords are accepted once quoted.
    *(text for text in HOSTILE_STRINGS if not re.fullmatch(r"[A-Za-z0-9_]{1,128}", text)),
    "",
    " ",
    "dash-ed",
    "dotted.name",
    "x" * 129,
    "ñame",
    "name\n",
    "name;",
    "`",
    "'",
    '"',
    "a b",
    "ops`.`evil",
    "logs; DROP TABLE x",
    "logs/*comment*/",
    "ｓｅｌｅｃｔ",  # fullwidth letters  # noqa: RUF001
    "K\u212a",  # KELVIN SIGN: lower() gives ASCII "kk"
)
_IDS = [
    f"{i:02d}_{re.sub(r'[^A-Za-z0-9]+', '_', h)[:20]}" for i, h in enumerate(HOSTILE_IDENTIFIERS)
]
_SAFE = re.compile(r"[A-Za-z0-9_]{1,128}")

#: Names once refused that quoting makes safe: keywords and a digit first.
QUOTABLE_IDENTIFIERS: tuple[str, ...] = ("1starts_with_digit", "select", "Table", "uNiOn", "user")


def _refused(code: str, call: object, *args: object, **kwargs: object) -> BaseException:
    """Call ``call``; it must raise a sparkforge error with ``code`` (and not touch Spark)."""
    assert callable(call)
    with pytest.raises((WriterError, TableOperationError)) as caught:
        call(*args, **kwargs)
    assert getattr(caught.value, "code", None) == code, caught.value
    return caught.value


@pytest.mark.parametrize("name", HOSTILE_IDENTIFIERS, ids=_IDS)
def test_hostile_identifiers_are_refused_without_spark(name: str) -> None:
    error = _refused("WRITER_CONFIG_INVALID", WriterConfig, table_schema=name, table_name="run_log")
    assert error.params["option"] == "table_schema"  # type: ignore[attr-defined]
    error = _refused("WRITER_CONFIG_INVALID", WriterConfig, table_schema="ops", table_name=name)
    assert error.params["option"] == "table_name"  # type: ignore[attr-defined]
    _refused("IDENTIFIER_INVALID", TableRef.named, name, "run_log")
    _refused("IDENTIFIER_INVALID", TableRef.named, "ops", name)
    if "." not in name:
        # With a dot, "a.b.run_log" is a three-part name in catalog "a", whose rule differs.
        _refused("IDENTIFIER_INVALID", TableRef.parse, f"{name}.run_log")
    _refused("IDENTIFIER_INVALID", TableRef.parse, f"spark_catalog.{name}.run_log")
    _refused("IDENTIFIER_INVALID", validate_identifier, name, kind="schema")
    _refused("IDENTIFIER_INVALID", ops.quote_identifier, name)
    # Spark would be touched by these calls once past the names: the stand-in proves it is not.
    _refused("IDENTIFIER_INVALID", ops.ensure_schema, no_spark(), name)
    _refused(
        "IDENTIFIER_INVALID", ops.optimize, no_spark(), TableRef.named("ops", "t"), zorder_by=[name]
    )
    with pytest.warns(DeprecationWarning, match="LogWriter"):
        _refused("IDENTIFIER_INVALID", LogWriter, no_spark(), name, "run_log")
    with pytest.warns(DeprecationWarning, match="LogWriter"):
        _refused("IDENTIFIER_INVALID", LogWriter, no_spark(), "ops", name)
    if not re.fullmatch(r"\w*", name, re.ASCII) and name.strip():
        # As the environment of a naming pattern, it would end up inside the table name.
        _refused(
            "WRITER_CONFIG_INVALID",
            WriterConfig,
            table_schema="ops",
            table_name="run_log",
            environment=name,
            table_name_pattern="{table_name}_{environment}",
        )


@pytest.mark.parametrize("name", QUOTABLE_IDENTIFIERS, ids=QUOTABLE_IDENTIFIERS)
def test_quotable_identifiers_are_accepted_and_quoted(name: str) -> None:
    assert WriterConfig(table_schema=name, table_name=name).table.quoted == f"`{name}`.`{name}`"
    assert TableRef.parse(f"{name}.{name}").quoted == f"`{name}`.`{name}`"
    assert ops.quote_identifier(name) == f"`{name}`"


@pytest.mark.delta
def test_quotable_identifiers_work_on_real_spark(spark: SparkSession, tmp_path: Path) -> None:
    for name in QUOTABLE_IDENTIFIERS:
        spark.sql(f"DROP DATABASE IF EXISTS `{name}` CASCADE")
    try:
        for name in QUOTABLE_IDENTIFIERS:
            table = TableRef.named(name, name)
            ops.create_table_if_not_exists(spark, table, spark.range(0).schema)
            ops.append(spark.range(3), table)
            assert table.read(spark).count() == 3
            assert ops.latest_version(spark, table) >= 1
    finally:
        for name in QUOTABLE_IDENTIFIERS:
            spark.sql(f"DROP DATABASE IF EXISTS `{name}` CASCADE")


def test_hostile_identifiers_leave_the_catalog_and_warehouse_untouched(
    spark: SparkSession,
) -> None:
    warehouse = Path(str(spark.conf.get("spark.sql.warehouse.dir")).removeprefix("file:"))
    databases = sorted(db.name for db in spark.catalog.listDatabases())
    files = sorted(str(p) for p in warehouse.rglob("*")) if warehouse.exists() else []
    for name in HOSTILE_IDENTIFIERS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            _refused("IDENTIFIER_INVALID", LogWriter, spark, name, "run_log")
        _refused("IDENTIFIER_INVALID", ops.ensure_schema, spark, name)
    assert sorted(db.name for db in spark.catalog.listDatabases()) == databases
    assert (sorted(str(p) for p in warehouse.rglob("*")) if warehouse.exists() else []) == files


_identifier_text = st.text(
    st.sampled_from("aZ_09`'\";. -\n\u00e9\u212a\u0131") | st.characters(codec="utf-8"),
    max_size=12,
) | st.sampled_from(sorted(RESERVED_WORDS)).map(lambda w: w.upper())


def test_identifiers_generated_are_accepted_exactly_when_safe() -> None:
    tally = {"inputs": 0, "rejected": 0, "accepted": 0}

    @settings(max_examples=3_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_identifier_text)
    def check(name: str) -> None:
        tally["inputs"] += 1
        safe = bool(_SAFE.fullmatch(name))
        if not safe:
            error = _refused(
                "WRITER_CONFIG_INVALID", WriterConfig, table_schema=name, table_name="run_log"
            )
            assert error.params["option"] == "table_schema"  # type: ignore[attr-defined]
            tally["rejected"] += 1
            return
        config = WriterConfig(table_schema=name, table_name="run_log")
        assert config.table.quoted == f"`{name}`.`run_log`"
        tally["accepted"] += 1

    check()
    record_figures("hostile_names.identifiers", **tally)
    assert tally["rejected"] > 0
    assert tally["accepted"] > 0
    # Keywords are generated (upper-cased) and now accepted: they are safe once quoted.
    assert all(validate_identifier(word.upper()) == word.upper() for word in RESERVED_WORDS)


# ------------------------------------------------------------------ hostile values, verbatim


def _hostile_reports() -> list[PipelineReport]:
    """One report per hostile string, carrying it wherever the log stores free text."""
    reports = []
    for i, text in enumerate(HOSTILE_STRINGS):
        base = make_report(3, pipeline=text, failed_step=2, tags={text: text, "k": text})
        steps = []
        for j, step in enumerate(base.steps):
            steps.append(
                replace(
                    step,
                    step_name=text if j == 0 else f"{text} #{j}",
                    table_fqn=None if step.table_fqn is None else text,
                    rule_results=tuple(
                        replace(rule, rule=f"{text}/{rule.rule}", column=text)
                        for rule in step.rule_results
                    ),
                    error=None
                    if step.error is None
                    else ErrorInfo(type=text, message=text, traceback=text),
                )
            )
        usable_id = len(text) <= 256 and min(map(ord, text)) >= 32
        run_id = text if usable_id else f"hostile-{i}-{uuid.uuid4()}"
        context = replace(base.context, run_id=run_id) if base.context else None
        reports.append(replace(base, run_id=run_id, steps=tuple(steps), context=context))
    assert all(r.steps[-1].status is StepStatus.FAILED for r in reports)
    assert all(isinstance(r.steps[0].rule_results[0], RuleResult) for r in reports)
    return reports


def _write_verbatim(writer: LogWriter, reports: list[PipelineReport]) -> list[PipelineReport]:
    """Write the reports in one batch; return those stored. Refusals must be validation errors.

    When the batch fails otherwise, each report is tried alone to name the ones that broke it.
    """
    try:
        writer.write_reports(reports)
        return reports
    except WriterValidationError as exc:
        refused = {int(p.path[len("reports[") :].split("]")[0]) for p in exc.problems}
        kept = [r for i, r in enumerate(reports) if i not in refused]
        writer.write_reports(kept)
        return kept
    except WriterError:
        failures = []
        for report in reports:
            try:
                writer.write_report(report)
            except WriterValidationError:
                continue
            except WriterError as exc:
                failures.append(
                    f"{report.pipeline_name[:30]!r} ({len(report.pipeline_name)}):"
                    f" {exc.code} {str(exc)[:160]}"
                )
        raise AssertionError(
            "valid reports were neither logged nor refused as invalid:\n" + "\n".join(failures)
        ) from None


@pytest.mark.delta
@pytest.mark.parametrize(
    "partitioned",
    [pytest.param(False, id="catalog_table"), pytest.param(True, id="partitioned_by_pipeline")],
)
def test_hostile_values_are_stored_verbatim(
    spark: SparkSession, schema: str, tmp_path: Path, partitioned: bool
) -> None:
    started = time.monotonic()
    if partitioned:
        config = WriterConfig(
            table_path=str(tmp_path / "log"), partition_columns=("pipeline_name", "phase")
        )
    else:
        config = WriterConfig(table_schema=schema, table_name="run_log")
    writer = LogWriter(spark, config, clock=fixed_clock)
    reports = _hostile_reports()
    stored = _write_verbatim(writer, reports)

    rows = spark_rows(writer.read_logs())
    assert rows == expected_rows(stored, logged_at=LOGGED_AT)
    for report in stored:
        if any(c in report.pipeline_name for c in "'`\";"):
            # The filter passes the value as a value: quotes and semicolons mean nothing.
            found = spark_rows(writer.read_logs(pipeline_name=report.pipeline_name))
            assert found == expected_rows([report], logged_at=LOGGED_AT)
    if config.table_path is not None:
        assert delta_rs_rows(config.table_path) == rows
    record_figures(
        "hostile_names.values",
        table="partitioned_by_pipeline" if partitioned else "catalog",
        strings=len(HOSTILE_STRINGS),
        reports=len(reports),
        stored_verbatim=len(stored),
        refused_as_invalid=len(reports) - len(stored),
        rows=len(rows),
        seconds=round(time.monotonic() - started),
    )
    stored_ids = {id(report) for report in stored}
    refused = [report.pipeline_name for report in reports if id(report) not in stored_ids]
    if not partitioned:
        assert refused == []
    else:
        # Only names that cannot be a directory name may be refused: those holding NUL, or too
        # long even if every byte were escaped to %XX... at most 3 bytes per UTF-8 byte.
        for name in refused:
            worst = len("pipeline_name=") + 3 * len(name.encode("utf-8", "surrogatepass"))
            assert "\x00" in name or worst > 255, repr(name[:40])
        assert len(stored) > len(reports) // 2


@pytest.mark.delta
def test_hostile_table_path_is_used_verbatim(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / 'we\'ird "dir"; DROP TABLE x; -- ünï 😀 $HOME %s'
    writer = LogWriter(spark, WriterConfig(table_path=str(path)), clock=fixed_clock)
    report = make_report(2)
    writer.write_report(report)
    rows = spark_rows(writer.read_logs())
    assert rows == expected_rows([report], logged_at=LOGGED_AT)
    assert delta_rs_rows(str(path)) == rows
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    error = _refused("WRITER_CONFIG_INVALID", WriterConfig, table_path=str(tmp_path / "a`b"))
    assert error.params["option"] == "table_path"  # type: ignore[attr-defined]
