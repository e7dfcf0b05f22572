"""The validation rate: the one formula, and its Column twin for rates computed in Spark.

:func:`validation_rate` is defined in the pure :mod:`sparkforge.models.rates` (models may not
import pyspark) and re-exported here next to :func:`validation_rate_column`, so the two can be
read side by side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from sparkforge.models.rates import RATE_TOLERANCE, validation_rate

if TYPE_CHECKING:
    from pyspark.sql import Column

__all__ = ["RATE_TOLERANCE", "validation_rate", "validation_rate_column"]


def validation_rate_column(valid_rows: Column, invalid_rows: Column) -> Column:
    """Return :func:`validation_rate` as a Column: 100 * valid / (valid + invalid), 100 if 0.

    Parameters
    ----------
    valid_rows, invalid_rows
        Columns of the validated rows that passed and failed.

    Returns
    -------
    Column
        A DOUBLE percentage in 0-100; NULL when either count is NULL.

    Examples
    --------
    With a SparkSession ``spark`` (doctests run without one):

    >>> df = spark.createDataFrame([(3, 1), (0, 0)], "valid long, invalid long")  # doctest: +SKIP
    >>> rate = validation_rate_column(F.col("valid"), F.col("invalid"))  # doctest: +SKIP
    >>> [r.rate for r in df.select(rate.alias("rate")).collect()]  # doctest: +SKIP
    [75.0, 100.0]
    """
    total = valid_rows + invalid_rows
    return (
        F.when(total.isNull(), F.lit(None).cast("double"))
        .when(total == 0, F.lit(100.0))
        .otherwise(valid_rows.cast("double") * 100.0 / total)
    )
