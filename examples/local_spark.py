"""Start a local SparkSession with Delta Lake, for the demo, the tests and the benchmarks.

The sparkforge library never builds a session: applications (like these examples) do, and pass
it in. This module is that application-side code, kept in one place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pyspark.sql import SparkSession

#: Environment variable naming a directory of Delta JARs to load instead of resolving them.
DELTA_JARS_ENV = "SPARKFORGE_DELTA_JARS"


def _local_delta_jars() -> list[str]:
    jar_dir = os.environ.get(DELTA_JARS_ENV, "")
    if not jar_dir:
        return []
    jars = sorted(str(p) for p in Path(jar_dir).glob("*.jar"))
    # Both delta-spark and delta-storage are needed; a partial copy falls back to the resolver.
    names = " ".join(jars)
    return jars if "delta-spark" in names and "delta-storage" in names else []


def local_delta_session(
    app_name: str,
    *,
    work_dir: str | os.PathLike[str],
    master: str = "local[2]",
    extra_conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """Build (or return the running) local SparkSession with Delta Lake and a Hive metastore.

    Parameters
    ----------
    app_name
        The Spark application name.
    work_dir
        Directory holding the warehouse (``warehouse/``) and the Derby metastore
        (``metastore_db``); tables created in this session persist there between processes.
    master
        The Spark master URL.
    extra_conf
        More Spark settings, applied last.

    Returns
    -------
    SparkSession
        A session with the Delta SQL extension and catalog, the UI off and few shuffle partitions.
    """
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    metastore = work / "metastore_db"
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config(
            "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog"
        )
        .config("spark.sql.warehouse.dir", str(work / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={metastore};create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={work}")
        # Delta keeps a table's schema itself; the metastore holds a placeholder that it would
        # refuse to update on an overwrite (logging an ERROR although the overwrite succeeds).
        .config("spark.hadoop.hive.metastore.disallow.incompatible.col.type.changes", "false")
        # Delta reconstructs table state with this many tasks; the default (50) is for clusters.
        .config("spark.databricks.delta.snapshotPartitions", "2")
        # VACUUM lists files with this many tasks (10,000 by default, minutes on 2 cores).
        .config("spark.sql.sources.parallelPartitionDiscovery.parallelism", "2")
        .enableHiveSupport()
    )
    jars = _local_delta_jars()
    if jars:
        builder = builder.config("spark.jars", ",".join(jars))
    for key, value in (extra_conf or {}).items():
        builder = builder.config(key, value)
    if not jars:
        builder = configure_spark_with_delta_pip(builder)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
