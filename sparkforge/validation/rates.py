"""The validation rate: the one formula, and its Column twin for rates computed in Spark.

[`validation_rate`][sparkforge.validation.validation_rate] is defined in the pure
`sparkforge.models.rates` (models may not import pyspark) and re-exported here next to
[`validation_rate_column`][sparkforge.validation.validation_rate_column], so the two can be read
side by side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from sparkforge.models.rates import RATE_TOLERANCE, validation_rate

if TYPE_CHECKING:
    from pyspark.sql import Column

__all__ = ["RATE_TOLERANCE", "validation_rate", "validation_rate_column"]


def validation_rate_column(valid_rows: Column, invalid_rows: Column) -> Column:
    """Return [`validation_rate`][sparkforge.validation.validation_rate] as a Column.

    That is 100 * valid / (valid + invalid), and 100 when there are no rows.

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
    The same figures as the pure formula, computed by Spark for every row of a log, e.g.
    ``log_df.select(validation_rate_column(F.col("valid_rows"), F.col("invalid_rows")))``
    gives, for rows (3, 1) and (0, 0):

    >>> validation_rate(3, 1), validation_rate(0, 0)
    (75.0, 100.0)
    """
    total = valid_rows + invalid_rows
    return (
        F.when(total.isNull(), F.lit(None).cast("double"))
        .when(total == 0, F.lit(100.0))
        .otherwise(valid_rows.cast("double") * 100.0 / total)
    )
