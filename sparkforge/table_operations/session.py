"""Whether a Spark session can use Delta Lake, asked before anything is created.

A session built without Delta fails late and obscurely: ``DeltaTable.*`` raises
``TypeError: 'JavaPackage' object is not callable`` (the Python API finds no JVM class), a
write says ``[DATA_SOURCE_NOT_FOUND] ... delta``, and a session with the JARs but without the
SQL extension or catalog says ``[DELTA_CONFIGURE_SPARK_SESSION_WITH_EXTENSION_AND_CATALOG]``
or refuses to create a catalog table.
[`check_delta_session`][sparkforge.table_operations.check_delta_session] asks up front, touching
nothing; [`missing_delta_error`][sparkforge.table_operations.missing_delta_error] recognises those
failures after the fact. Both answer with ``DELTA_NOT_CONFIGURED``, naming the settings the session
needs.

Nothing is cached: each call asks the session it is given.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from sparkforge.errors import TableOperationError
from sparkforge.table_operations.failures import failure_reason

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "check_delta_session",
    "DELTA_CATALOG",
    "DELTA_EXTENSION",
    "DELTA_SETTINGS",
    "missing_delta_error",
]

#: The session extension Delta's SQL and commands need (``spark.sql.extensions``).
DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
#: The catalog Delta's catalog tables need (``spark.sql.catalog.spark_catalog``).
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"
#: What a session needs for Delta, as the ``settings`` of ``DELTA_NOT_CONFIGURED``.
DELTA_SETTINGS = (
    f"spark.sql.extensions={DELTA_EXTENSION}, "
    f"spark.sql.catalog.spark_catalog={DELTA_CATALOG} and the delta-spark JARs on the "
    "classpath (delta.configure_spark_with_delta_pip(builder) adds the JARs)"
)

_EXTENSIONS_KEY = "spark.sql.extensions"
_CATALOG_KEY = "spark.sql.catalog.spark_catalog"
# Platforms whose sessions have Delta built in, without the open-source settings: seeing one
# of these, the settings are not asked for.
_PLATFORM_CONF_KEYS = ("spark.databricks.clusterUsageTags.sparkVersion",)
_PLATFORM_ENV_VARS = ("DATABRICKS_RUNTIME_VERSION",)

# The forms a missing Delta takes, in a JVM error's text (or a Spark Connect error's).
_MISSING_DELTA_TEXT = re.compile(
    r"\[DATA_SOURCE_NOT_FOUND\][^\n]*data source: delta\b"
    r"|\[DELTA_CONFIGURE_SPARK_SESSION_WITH_EXTENSION_AND_CATALOG\]"
    r"|\[CANNOT_CREATE_DATA_SOURCE_TABLE\.EXTERNAL_METADATA_UNSUPPORTED\][^\n]*provider 'delta'"
    r"|ClassNotFoundException: org\.apache\.spark\.sql\.delta\.catalog\.DeltaCatalog"
)
# delta-spark's Python API, in a classic session whose JVM has no Delta classes.
_JAVA_PACKAGE_TEXT = "'JavaPackage' object is not callable"
_MAX_CHAIN = 10


def _not_configured(reason: str) -> TableOperationError:
    return TableOperationError(
        "DELTA_NOT_CONFIGURED", {"reason": reason, "settings": DELTA_SETTINGS}
    )


def _names_missing_delta(exc: BaseException) -> bool:
    if isinstance(exc, TypeError) and _JAVA_PACKAGE_TEXT in str(exc):
        return True
    return _MISSING_DELTA_TEXT.search(str(exc)[:4000]) is not None


def missing_delta_error(exc: BaseException) -> TableOperationError | None:
    """Return ``DELTA_NOT_CONFIGURED`` if ``exc`` says the session has no usable Delta.

    ``exc`` and the exceptions it was raised from (``__cause__``, ``__context__``) are looked
    at, so a sparkforge error wrapping such a failure is recognised too.

    Parameters
    ----------
    exc
        A failure of a Spark or Delta call.

    Returns
    -------
    TableOperationError or None
        ``DELTA_NOT_CONFIGURED`` carrying Delta's or Spark's reason (chained to the failure),
        or None when ``exc`` is some other failure.

    Examples
    --------
    >>> error = missing_delta_error(TypeError("'JavaPackage' object is not callable"))
    >>> error.code if error is not None else None
    'DELTA_NOT_CONFIGURED'
    >>> error.params["reason"] if error is not None else None
    "'JavaPackage' object is not callable"
    >>> missing_delta_error(ValueError("bad value")) is None
    True
    """
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < _MAX_CHAIN and current not in seen:
        if isinstance(current, TableOperationError) and current.code == "DELTA_NOT_CONFIGURED":
            return current
        if _names_missing_delta(current):
            error = _not_configured(failure_reason(current))
            error.__cause__ = current
            return error
        seen.append(current)
        current = current.__cause__ or current.__context__
    return None


def _read_conf(spark: SparkSession, key: str) -> tuple[bool, str | None]:
    """Return whether ``key`` could be read, and its value (None when unset)."""
    try:
        value = spark.conf.get(key, None)
    # Some platforms refuse to show some settings; an unreadable one proves nothing.
    except Exception:
        return False, None
    return True, None if value is None else str(value)


def _platform_has_delta(spark: SparkSession) -> bool:
    if any(os.environ.get(name) for name in _PLATFORM_ENV_VARS):
        return True
    return any(_read_conf(spark, key)[1] for key in _PLATFORM_CONF_KEYS)


def _probe_data_source(spark: SparkSession) -> None:
    """Ask Spark to resolve the ``delta`` data source, with no path: no file is touched.

    With Delta, the source is found and complains that no path was given; without, Spark
    says it has no such source. ``.schema`` makes a Spark Connect session resolve it too.
    """
    try:
        _ = spark.read.format("delta").load().schema
    except Exception as exc:
        if _names_missing_delta(exc):
            raise _not_configured(failure_reason(exc)) from exc


def check_delta_session(spark: SparkSession) -> None:
    """Raise ``DELTA_NOT_CONFIGURED`` unless ``spark`` can use Delta Lake; touch nothing.

    Two questions are asked, neither of which reads or writes a table, a schema or a file:

    1. Does the session know the ``delta`` data source (are the delta-spark JARs loaded)?
       Spark is asked to resolve it without a path.
    2. Are Delta's SQL extension and catalog configured (``spark.sql.extensions`` and
       ``spark.sql.catalog.spark_catalog``)? Delta refuses its operations without them. A
       catalog set to another class (one wrapping Delta's) is accepted; a platform with Delta
       built in (Databricks) is not asked for them, nor is a session whose settings cannot
       be read.

    Nothing is cached: the answer is about ``spark`` now.

    Parameters
    ----------
    spark
        The session.

    Raises
    ------
    TableOperationError
        ``DELTA_NOT_CONFIGURED`` naming what is missing and the settings to build the
        session with.

    See Also
    --------
    missing_delta_error : recognises the same problem in a failed Spark or Delta call.

    Examples
    --------
    A session with Delta passes, and nothing is created:

    With a session ``spark`` (the integration tests run this):

    ```python
    check_delta_session(spark)
    ```
    """
    _probe_data_source(spark)
    if _platform_has_delta(spark):
        return
    readable, extensions = _read_conf(spark, _EXTENSIONS_KEY)
    if readable:
        names = [name.strip() for name in (extensions or "").split(",")]
        if DELTA_EXTENSION not in names:
            raise _not_configured(
                f"{_EXTENSIONS_KEY} is {extensions!r}, without {DELTA_EXTENSION}"
                if extensions
                else f"{_EXTENSIONS_KEY} is not set"
            )
    readable, catalog = _read_conf(spark, _CATALOG_KEY)
    if readable and not catalog:
        raise _not_configured(f"{_CATALOG_KEY} is not set")
