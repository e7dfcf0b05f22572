"""What the Spark cases share: the bench context, report builders, table helpers.

Reports come from ``tests.factories.make_report`` (consistent counts, rates and instants);
each timed write gets its own copy with a fresh ``run_id``, so Delta's idempotency never
skips a measured write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.environment import log

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

    from benchmarks.environment import JobCounter
    from sparkforge.models import PipelineReport
    from sparkforge.writer import LogWriter, WriterConfig

__all__ = [
    "Bench",
    "checkpoint_versions",
    "fresh_copies",
    "legacy_report",
    "mib",
    "table_details",
    "with_run_id",
]

#: The catalog schema every benchmark table lives in.
SCHEMA = "sparkforge_bench"


@dataclass(frozen=True, slots=True)
class Bench:
    """The context of the Spark cases: one session, one job counter, the run's mode.

    Attributes
    ----------
    spark
        The one SparkSession of the run.
    jobs
        Counts the Spark jobs of a block.
    quick
        A smoke run: fewer repetitions and smaller inputs (figures are not comparable).
    schema
        The catalog schema the tables are created in.
    progress
        Receives progress lines.
    """

    spark: SparkSession
    jobs: JobCounter
    quick: bool = False
    schema: str = SCHEMA
    progress: Callable[[str], None] = log

    def fqn(self, table: str) -> str:
        """Return ``schema.table``."""
        return f"{self.schema}.{table}"

    def config(self, table: str, **options: object) -> WriterConfig:
        """Return a writer config for ``table`` in the bench schema (defaults otherwise)."""
        from sparkforge.writer import WriterConfig

        return WriterConfig(table_schema=self.schema, table_name=table, **options)  # type: ignore[arg-type]

    def writer(self, table: str, **options: object) -> LogWriter:
        """Return a writer of a new log table ``table``, created (untimed) before returning."""
        from sparkforge.writer import LogWriter

        writer = LogWriter(self.spark, self.config(table, **options))
        writer.create_table()
        return writer


def with_run_id(report: PipelineReport, run_id: str) -> PipelineReport:
    """Return ``report`` with another run id (its context too); the steps are shared."""
    context = report.context
    if context is not None:
        context = dataclasses.replace(context, run_id=run_id)
    return dataclasses.replace(report, run_id=run_id, context=context)


def fresh_copies(
    report: PipelineReport, count: int, *, prefix: str = "bench"
) -> list[PipelineReport]:
    """Return ``count`` copies of ``report``, each with its own new run id."""
    return [with_run_id(report, f"{prefix}-{uuid.uuid4()}") for _ in range(count)]


def legacy_report(report: PipelineReport) -> dict[str, object]:
    """Return the legacy report dict describing the same run (see docs/legacy.md).

    Bronze steps carry a validation block; silver and gold steps a transform, a write and a
    validation block and their table. Step names must be unique within a phase (dict keys).
    """
    from sparkforge.models import Phase, WriteMode

    blocks: dict[str, dict[str, object]] = {"bronze": {}, "silver": {}, "gold": {}}
    for step in report.steps:
        validation = {
            "start_at": step.started_at,
            "end_at": step.ended_at,
            "valid_rows": step.valid_rows or 0,
            "invalid_rows": step.invalid_rows or 0,
            "validation_rate": step.validation_rate if step.validation_rate is not None else 100.0,
        }
        phase = Phase(step.phase).value
        if phase == "bronze":
            blocks[phase][step.step_name] = {"validation": validation}
            continue
        blocks[phase][step.step_name] = {
            "transform": {
                "start_at": step.started_at,
                "end_at": step.ended_at,
                "input_rows": step.input_rows or 0,
                "output_rows": step.output_rows or 0,
            },
            "write": {
                "start_at": step.started_at,
                "end_at": step.ended_at,
                # Legacy reports are plain dicts: the mode is its text, not the enum.
                "mode": WriteMode(step.write_mode).value if step.write_mode else "append",
                "rows_written": step.rows_written or 0,
            },
            "validation": validation,
            "table_fqn": step.table_fqn,
        }
    run = {
        "mode": str(report.mode.value),
        "started_at": report.started_at,
        "ended_at": report.ended_at,
    }
    return {"run": run, **blocks}


def table_details(spark: SparkSession, fqn: str) -> dict[str, object]:
    """Return ``DESCRIBE DETAIL``'s location, file count and size of a Delta table."""
    row = spark.sql(f"DESCRIBE DETAIL {fqn}").collect()[0]
    location = str(row["location"])
    return {
        "location": location.removeprefix("file:"),
        "num_files": int(row["numFiles"]),
        "size_bytes": int(row["sizeInBytes"]),
    }


def checkpoint_versions(location: str) -> list[int]:
    """Return the versions at which Delta wrote a checkpoint of the table at ``location``."""
    log_dir = Path(location) / "_delta_log"
    versions = set()
    for path in log_dir.glob("*.checkpoint*.parquet"):
        head = path.name.split(".", 1)[0]
        if head.isdigit():
            versions.add(int(head))
    last = log_dir / "_last_checkpoint"
    if last.exists():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            versions.add(int(json.loads(last.read_text(encoding="utf-8"))["version"]))
    return sorted(versions)


def mib(num_bytes: object) -> float | None:
    """Return ``num_bytes`` in MiB, rounded to 0.1 (None stays None)."""
    if isinstance(num_bytes, bool) or not isinstance(num_bytes, (int, float)):
        return None
    return round(num_bytes / (1024 * 1024), 1)
