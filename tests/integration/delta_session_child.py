"""Child process for test_table_operations_session: a local SparkSession without Delta.

Usage: ``python delta_session_child.py WORK_DIR MODE`` where MODE is ``plain`` (no Delta JARs,
no settings) or ``jars`` (Delta's JARs on the classpath, but not its extension or catalog).
Each operation's outcome is printed as one JSON line: ``{"call": ..., "code": ...}``, where
``code`` is the sparkforge error code, ``"ok"``, or ``"raw <ExceptionType>"``; a line
after the own calls reports whether the schema or the table directory exists.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

SCHEMA = "child_schema"


def _outcome(call: Callable[[], object]) -> str:
    from sparkforge.errors import SparkForgeError

    try:
        call()
    except SparkForgeError as exc:
        return exc.code
    except Exception as exc:
        return f"raw {type(exc).__name__}"
    return "ok"


def main(work_dir: str, mode: str) -> None:
    from pyspark.sql import SparkSession

    from sparkforge import table_operations as tables
    from sparkforge.table_operations.session import check_delta_session
    from sparkforge.writer import LogWriter, WriterConfig
    from tests.factories import make_report

    work = Path(work_dir)
    builder = (
        SparkSession.builder.master("local[1]")
        .appName("sparkforge-no-delta")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.warehouse.dir", str(work / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={work / 'metastore_db'};create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={work}")
    )
    if mode == "jars":
        jar_dir = Path(os.environ["SPARKFORGE_DELTA_JARS"])
        builder = builder.config("spark.jars", ",".join(str(p) for p in jar_dir.glob("*.jar")))
    spark = builder.getOrCreate()
    catalog_table = tables.TableRef.named(SCHEMA, "events")
    path_table = tables.TableRef.at_path(str(work / "events"))
    df = spark.createDataFrame([(1, "a")], "id BIGINT, kind STRING")
    calls: dict[str, Callable[[], object]] = {
        "check_delta_session": lambda: check_delta_session(spark),
        "append catalog": lambda: tables.append(df, catalog_table, marker="m"),
        "append path": lambda: tables.append(df, path_table, marker="m"),
        "overwrite path": lambda: tables.overwrite(df, path_table, marker="m"),
        "write_report catalog": lambda: LogWriter(
            spark, WriterConfig(table_schema=SCHEMA, table_name="run_log")
        ).write_report(make_report(1)),
        "write_report path": lambda: LogWriter(
            spark, WriterConfig(table_path=str(work / "events"))
        ).write_report(make_report(1)),
    }
    for call, run in calls.items():
        print(json.dumps({"call": call, "code": _outcome(run)}), flush=True)
    left = {
        "schema": spark.catalog.databaseExists(SCHEMA),
        "directory": (work / "events").exists() or (work / "warehouse" / f"{SCHEMA}.db").exists(),
    }
    print(json.dumps({"left": left}), flush=True)
    # The creation module's calls, after the check of what was left: they may create the schema.
    creation: dict[str, Callable[[], object]] = {
        "table_exists path": lambda: tables.table_exists(spark, path_table),
        "create_table_if_not_exists catalog": lambda: tables.create_table_if_not_exists(
            spark, catalog_table, df.schema
        ),
        "create_table_if_not_exists path": lambda: tables.create_table_if_not_exists(
            spark, path_table, df.schema
        ),
    }
    for call, run in creation.items():
        print(json.dumps({"call": call, "code": _outcome(run)}), flush=True)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
