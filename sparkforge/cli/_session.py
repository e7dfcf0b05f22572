"""The one place in sparkforge that builds a SparkSession: the command line's.

Three kinds of session:

- Spark Connect (``--remote sc://host:port`` or ``SPARK_REMOTE``): the server has Delta.
- Local with a warehouse (``--warehouse DIR``): catalog tables live in ``DIR/warehouse`` and
  the Derby metastore in ``DIR/metastore_db`` (the layout of ``make demo``).
- Local without one: path tables (``--path``), or catalog tables of whatever catalog the
  ``--conf`` settings give.

Delta's JARs come from ``spark.jars`` when ``--conf`` gives it; else from the directory named
by ``SPARKFORGE_DELTA_JARS`` (the offline copy ``make jars`` fetches); else they are resolved
by ``configure_spark_with_delta_pip``, as Delta documents for pip installs.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sparkforge.errors import SessionError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pyspark.sql import SparkSession

__all__ = [
    "DEFAULT_MASTER",
    "DELTA_JARS_ENV",
    "SessionOptions",
    "build_session",
    "connect_address",
    "local_conf",
]

#: Environment variable naming a directory holding the Delta JARs (delta-spark, delta-storage).
DELTA_JARS_ENV = "SPARKFORGE_DELTA_JARS"

#: The master of a local session when ``--master`` is not given.
DEFAULT_MASTER = "local[*]"

#: The Spark Connect port when the URL gives none (Spark's default).
CONNECT_PORT = 15002

#: Seconds to wait for a Spark Connect server to accept a connection.
CONNECT_TIMEOUT = 10.0

#: Spark's own log level in the CLI's sessions: stdout carries only the command's output.
SPARK_LOG_LEVEL = "ERROR"

_DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
_DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionOptions:
    """How the command line's session is built (the ``--master/--conf/--warehouse/--remote``)."""

    master: str | None = None
    conf: Mapping[str, str] = field(default_factory=dict)
    warehouse: str | None = None
    remote: str | None = None
    app_name: str = "sparkforge-cli"


def delta_jars(directory: str) -> list[str]:
    """Return the JARs of ``directory`` when it holds both delta-spark and delta-storage."""
    jars = sorted(str(p) for p in Path(directory).glob("*.jar"))
    names = " ".join(Path(jar).name for jar in jars)
    return jars if "delta-spark" in names and "delta-storage" in names else []


def local_conf(options: SessionOptions, *, environ: Mapping[str, str]) -> dict[str, str]:
    """Return the settings of a local session, without resolving Delta's packages.

    The user's ``--conf`` settings come last and win. ``spark.jars`` is taken from the JARs
    directory of ``SPARKFORGE_DELTA_JARS`` only when ``--conf`` does not give it.

    Examples
    --------
    >>> conf = local_conf(SessionOptions(conf={"spark.ui.enabled": "true"}), environ={})
    >>> conf["spark.ui.enabled"], conf["spark.sql.extensions"].endswith("SessionExtension")
    ('true', True)
    """
    conf = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.log.level": SPARK_LOG_LEVEL,
        "spark.sql.extensions": _DELTA_EXTENSION,
        "spark.sql.catalog.spark_catalog": _DELTA_CATALOG,
        "spark.sql.session.timeZone": "UTC",
    }
    if options.warehouse is not None:
        work = Path(options.warehouse).resolve()
        conf.update(
            {
                "spark.sql.catalogImplementation": "hive",
                "spark.sql.warehouse.dir": str(work / "warehouse"),
                "spark.hadoop.javax.jdo.option.ConnectionURL": (
                    f"jdbc:derby:;databaseName={work / 'metastore_db'};create=true"
                ),
                "spark.driver.extraJavaOptions": f"-Dderby.system.home={work}",
                # Delta keeps the schema itself; the metastore holds a placeholder.
                "spark.hadoop.hive.metastore.disallow.incompatible.col.type.changes": "false",
            }
        )
    jar_dir = environ.get(DELTA_JARS_ENV, "")
    if "spark.jars" not in options.conf and jar_dir:
        jars = delta_jars(jar_dir)
        if jars:
            conf["spark.jars"] = ",".join(jars)
    conf.update(options.conf)
    return conf


def build_session(options: SessionOptions) -> SparkSession:
    """Build (or join) the session the command runs on.

    Raises
    ------
    SessionError
        ``SPARK_SESSION_FAILED`` naming where (the remote URL, or the local master) and why.
    """
    remote = options.remote or os.environ.get("SPARK_REMOTE") or None
    if remote is not None:
        return _remote_session(remote, options)
    return _local_session(options)


def connect_address(remote: str) -> tuple[str, int]:
    """Return the host and port of a Spark Connect URL (port 15002 when it gives none).

    Examples
    --------
    >>> connect_address("sc://spark.example.com:443/;use_ssl=true")
    ('spark.example.com', 443)
    >>> connect_address("sc://localhost")
    ('localhost', 15002)
    """
    parts = urlsplit(remote.split(";", 1)[0])
    if parts.scheme != "sc" or not parts.hostname:
        raise ValueError(f"expected a Spark Connect URL sc://host[:port], got {remote!r}")
    return parts.hostname, parts.port or CONNECT_PORT


def _remote_session(remote: str, options: SessionOptions) -> SparkSession:
    from pyspark.sql import SparkSession

    where = f"Spark Connect {remote}"
    try:
        # The Connect client retries a dead server for minutes; a refused or silent address
        # is said at once instead.
        host, port = connect_address(remote)
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
        builder = SparkSession.builder.remote(remote).appName(options.app_name)
        for key, value in options.conf.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        # Connect opens its channel lazily: ask the server something so a dead one shows here.
        session.version  # noqa: B018
    except Exception as exc:
        raise _failed(where, exc) from exc
    return session


def _local_session(options: SessionOptions) -> SparkSession:
    from pyspark.sql import SparkSession

    master = options.master or DEFAULT_MASTER
    where = f"local, master {master}"
    if options.warehouse is not None:
        where += f", warehouse {options.warehouse}"
    try:
        if options.warehouse is not None:
            Path(options.warehouse).mkdir(parents=True, exist_ok=True)
        conf = local_conf(options, environ=os.environ)
        builder = SparkSession.builder.master(master).appName(options.app_name)
        for key, value in conf.items():
            if key != "spark.jars.packages":
                builder = builder.config(key, value)
        if "spark.jars" in conf:
            if "spark.jars.packages" in conf:
                builder = builder.config("spark.jars.packages", conf["spark.jars.packages"])
        else:
            from delta import configure_spark_with_delta_pip

            extra = [p for p in conf.get("spark.jars.packages", "").split(",") if p.strip()]
            builder = configure_spark_with_delta_pip(builder, extra_packages=extra)
        return builder.getOrCreate()
    except Exception as exc:
        raise _failed(where, exc) from exc


def _failed(where: str, exc: BaseException) -> SessionError:
    from sparkforge.table_operations import failure_reason

    return SessionError("SPARK_SESSION_FAILED", {"where": where, "reason": failure_reason(exc)})
