"""The steps of a pipeline, as the builder records them, and the transform signatures.

These are plain descriptions: building them touches no Spark.
[`PipelineBuilder`][sparkforge.PipelineBuilder] creates them; they are exposed (through
`PipelinePlan`) for inspection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeAlias

from sparkforge.models import Phase

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.validation import NamedRule

__all__ = [
    "BronzeStep",
    "GoldStep",
    "GoldTransform",
    "SilverStep",
    "SilverTransform",
    "StepSpec",
]

#: ``transform(spark, bronze_df, prior_silvers) -> DataFrame`` of a silver step. ``bronze_df``
#: holds the valid rows of its bronze step (only the new ones in an incremental run);
#: ``prior_silvers`` maps the names in the step's ``source_silvers`` to their data.
SilverTransform: TypeAlias = "Callable[[SparkSession, DataFrame, dict[str, DataFrame]], DataFrame]"

#: ``transform(spark, silvers) -> DataFrame`` of a gold step; ``silvers`` maps the names of its
#: source silver steps to their data.
GoldTransform: TypeAlias = "Callable[[SparkSession, dict[str, DataFrame]], DataFrame]"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class BronzeStep:
    """Validation of one bronze source, handed to each run as a DataFrame.

    Parameters
    ----------
    name
        The step's name, and the key of its DataFrame in a run's ``bronze_sources``.
    rules
        The rules its rows must pass.
    incremental_col
        The timestamp column incremental runs compare with their silver steps' watermarks.

    *Added in 0.1.0.*
    """

    phase: ClassVar[Phase] = Phase.BRONZE

    name: str
    rules: tuple[NamedRule, ...]
    incremental_col: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SilverStep:
    """A silver step: a transform of a bronze step's valid rows into a Delta table.

    Parameters
    ----------
    name
        The step's name.
    source_bronze
        The bronze step it reads.
    transform
        See `SilverTransform`.
    rules
        The rules the transform's rows must pass; valid rows go to ``table_name``.
    table_name
        The Delta table (in the pipeline's schema) it writes.
    watermark_col
        The timestamp column of ``table_name`` whose maximum is the incremental watermark
        (default: the bronze step's ``incremental_col``).
    source_silvers
        Silver steps that must run first; their data is passed as ``prior_silvers``.

    *Added in 0.1.0.*
    """

    phase: ClassVar[Phase] = Phase.SILVER

    name: str
    source_bronze: str
    transform: Callable[[SparkSession, DataFrame, dict[str, DataFrame]], DataFrame]
    rules: tuple[NamedRule, ...]
    table_name: str
    watermark_col: str | None = None
    source_silvers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class GoldStep:
    """A gold step: a transform of silver data into a Delta table, recomputed every run.

    Parameters
    ----------
    name
        The step's name.
    transform
        See `GoldTransform`.
    rules
        The rules the transform's rows must pass; valid rows go to ``table_name``.
    table_name
        The Delta table (in the pipeline's schema) it writes.
    source_silvers
        The silver steps it reads; None means all of them.

    *Added in 0.1.0.*
    """

    phase: ClassVar[Phase] = Phase.GOLD

    name: str
    transform: Callable[[SparkSession, dict[str, DataFrame]], DataFrame]
    rules: tuple[NamedRule, ...]
    table_name: str
    source_silvers: tuple[str, ...] | None = None


#: Any step.
StepSpec: TypeAlias = "BronzeStep | SilverStep | GoldStep"
