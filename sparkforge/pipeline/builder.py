"""``PipelineBuilder``: declare bronze, silver and gold steps, then get a runnable pipeline.

Building touches no Spark: arguments are checked as each step is added, and the whole graph
(sources, names, tables, cycles) when
[`PipelineBuilder.to_pipeline`][sparkforge.PipelineBuilder.to_pipeline] is called.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from sparkforge.errors import ConfigurationError, SparkForgeError
from sparkforge.models import PipelineConfig
from sparkforge.pipeline.plan import build_plan
from sparkforge.pipeline.run_log import RunLogConfig
from sparkforge.pipeline.runner import PipelineRunner
from sparkforge.pipeline.steps import BronzeStep, GoldStep, SilverStep
from sparkforge.table_operations import TableRef, validate_identifier
from sparkforge.validation import normalize_rules
from sparkforge.writer import LogWriter

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from typing_extensions import Self

    from sparkforge.pipeline.steps import GoldTransform, SilverTransform, StepSpec
    from sparkforge.validation import Rules

__all__ = ["PipelineBuilder"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def _invalid(option: str, reason: str) -> NoReturn:
    raise ConfigurationError("CONFIG_INVALID", {"option": option, "reason": reason})


def _name(option: str, value: object) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        _invalid(
            option,
            f"expected 1-128 ASCII letters, digits or _ (not a digit first), got {value!r}",
        )
    return value


def _optional_name(option: str, value: object) -> str | None:
    return None if value is None else _name(option, value)


def _names(option: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        _invalid(option, f"expected a list of step names, got {type(value).__name__}")
    return tuple(_name(option, item) for item in value)


def _callable(option: str, value: object) -> None:
    if not callable(value):
        _invalid(option, f"expected a callable, got {type(value).__name__}")


class PipelineBuilder:
    """Declare a Medallion pipeline step by step.

    Parameters
    ----------
    spark
        The session the pipeline will run on; building makes no Spark call.
    schema
        The catalog schema (database) of the silver and gold tables.
    config
        How the pipeline runs (thresholds, parallelism, quarantine, raising).
    pipeline_name
        The name in reports and logs.
    log_writer
        A [`LogWriter`][sparkforge.writer.LogWriter]: every run of the pipeline writes its report
        to that log when it ends (success, failure, or an exception escaping the run, which
        then propagates unchanged). None (the default) logs nothing.

        *Added in 0.2.0.*
    log_config
        How runs are logged: the failure policy (``strict``), the tags detected from the
        environment and extra tags. Needs a ``log_writer``.

        *Added in 0.2.0.*

    Raises
    ------
    ConfigurationError
        ``CONFIG_INVALID`` for an invalid schema name, config, pipeline name, log writer or
        log config (or a log config without a log writer).

    Examples
    --------
    A pipeline of one bronze and one silver step (running it needs Spark):

    ```python
    from pyspark.sql import functions as F

    from sparkforge import PipelineBuilder, Rule

    pipeline = (
        PipelineBuilder(spark, schema="shop", pipeline_name="orders")
        .with_bronze_rules(
            name="orders", rules={"id": [F.col("id").isNotNull()]}, incremental_col="ts"
        )
        .add_silver_transform(
            name="clean_orders",
            source_bronze="orders",
            transform=lambda spark, bronze_df, prior_silvers: bronze_df,
            rules={"amount": [Rule("non_negative", F.col("amount") >= 0)]},
            table_name="clean_orders",
        )
        .to_pipeline()
    )
    report = pipeline.run_initial_load(bronze_sources={"orders": orders_df})
    ```

    A pipeline logging every run to a Delta log (see docs/pipeline.md):

    ```python
    from sparkforge.writer import LogWriter, WriterConfig

    writer = LogWriter(spark, WriterConfig(table_schema="ops", table_name="run_log"))
    pipeline = (
        PipelineBuilder(spark, schema="shop", pipeline_name="orders", log_writer=writer)
        .with_bronze_rules(name="orders", rules={"id": [F.col("id").isNotNull()]})
        .to_pipeline()
    )
    report = pipeline.run_validation_only(bronze_sources={"orders": orders_df})
    report.log_write.table_version  # the log's commit of this run
    ```

    *Added in 0.1.0.*
    """

    def __init__(
        self,
        spark: SparkSession,
        *,
        schema: str,
        config: PipelineConfig | None = None,
        pipeline_name: str = "pipeline",
        log_writer: LogWriter | None = None,
        log_config: RunLogConfig | None = None,
    ) -> None:
        try:
            validate_identifier(schema, kind="schema")
        except SparkForgeError as exc:
            _invalid("PipelineBuilder(schema)", exc.params.get("reason", str(exc)))
        given: object = config
        if given is not None and not isinstance(given, PipelineConfig):
            _invalid("PipelineBuilder(config)", f"expected a PipelineConfig, got {type(given)}")
        name: object = pipeline_name
        if not isinstance(name, str) or not name.strip():
            _invalid("PipelineBuilder(pipeline_name)", f"expected a non-empty string, got {name!r}")
        writer: object = log_writer
        if writer is not None and not isinstance(writer, LogWriter):
            _invalid(
                "PipelineBuilder(log_writer)",
                f"expected a sparkforge.writer.LogWriter, got {type(writer).__name__}",
            )
        given_log: object = log_config
        if given_log is not None and not isinstance(given_log, RunLogConfig):
            _invalid(
                "PipelineBuilder(log_config)",
                f"expected a RunLogConfig, got {type(given_log).__name__}",
            )
        if log_config is not None and log_writer is None:
            _invalid("PipelineBuilder(log_config)", "it needs a log_writer to log the runs to")
        self._spark = spark
        self._schema = schema
        self._config = config if config is not None else PipelineConfig()
        self._pipeline_name = pipeline_name
        self._log_writer = log_writer
        self._log_config = log_config
        self._steps: list[StepSpec] = []

    @property
    def steps(self) -> tuple[StepSpec, ...]:
        """The steps added so far, in order."""
        return tuple(self._steps)

    def with_bronze_rules(
        self, *, name: str, rules: Rules, incremental_col: str | None = None
    ) -> Self:
        """Add a bronze step: validation of a source DataFrame given to each run.

        Parameters
        ----------
        name
            The step's name; runs take its DataFrame as ``bronze_sources[name]``.
        rules
            Its validation rules (see `sparkforge.validation`).
        incremental_col
            A timestamp column: incremental runs pass silver steps only the rows newer than
            the silver table's watermark.

        Returns
        -------
        PipelineBuilder
            This builder.

        Raises
        ------
        ConfigurationError
            ``CONFIG_INVALID`` for an invalid name or column.
        ValidationError
            ``RULES_INVALID`` for malformed rules.

        Examples
        --------
        ```python
        from pyspark.sql import functions as F

        from sparkforge import PipelineBuilder

        builder = PipelineBuilder(spark, schema="shop").with_bronze_rules(
            name="orders",
            rules={"order_id": [F.col("order_id").isNotNull()]},
            incremental_col="updated_at",
        )
        report = builder.to_pipeline().run_validation_only(bronze_sources={"orders": orders_df})
        report.step("orders").invalid_rows  # the orders without an order_id
        ```
        """
        method = "with_bronze_rules"
        self._steps.append(
            BronzeStep(
                name=_name(f"{method}(name)", name),
                rules=normalize_rules(rules, step=name),
                incremental_col=_optional_name(f"{method}(incremental_col)", incremental_col),
            )
        )
        return self

    def add_silver_transform(
        self,
        *,
        name: str,
        source_bronze: str,
        transform: SilverTransform,
        rules: Rules,
        table_name: str,
        watermark_col: str | None = None,
        source_silvers: Sequence[str] = (),
    ) -> Self:
        """Add a silver step: transform a bronze step's valid rows into a Delta table.

        Parameters
        ----------
        name
            The step's name.
        source_bronze
            The bronze step whose valid rows it transforms.
        transform
            ``transform(spark, bronze_df, prior_silvers) -> DataFrame``.
        rules
            Rules for the transform's rows; the valid ones are written to ``table_name``.
        table_name
            Its Delta table in the pipeline's schema.
        watermark_col
            The timestamp column of ``table_name`` whose maximum is the watermark of
            incremental runs; defaults to the bronze step's ``incremental_col``. A step with
            neither is recomputed and overwritten by incremental runs.
        source_silvers
            Silver steps to run first; their data is passed as ``prior_silvers``.

        Returns
        -------
        PipelineBuilder
            This builder.

        Raises
        ------
        ConfigurationError
            ``CONFIG_INVALID`` for an invalid argument.
        ValidationError
            ``RULES_INVALID`` for malformed rules.

        Examples
        --------
        ```python
        from pyspark.sql import functions as F

        from sparkforge import PipelineBuilder, Rule


        def clean(spark, bronze_df, prior_silvers):
            return bronze_df.where(F.col("status") != "test")


        builder = (
            PipelineBuilder(spark, schema="shop")
            .with_bronze_rules(name="orders", rules={"id": [F.col("id").isNotNull()]})
            .add_silver_transform(
                name="clean_orders",
                source_bronze="orders",
                transform=clean,
                rules={"amount": [Rule("non_negative", F.col("amount") >= 0)]},
                table_name="clean_orders",
                watermark_col="updated_at",
            )
        )
        ```
        """
        method = "add_silver_transform"
        _callable(f"{method}(transform)", transform)
        self._steps.append(
            SilverStep(
                name=_name(f"{method}(name)", name),
                source_bronze=_name(f"{method}(source_bronze)", source_bronze),
                transform=transform,
                rules=normalize_rules(rules, step=name),
                table_name=self._table(f"{method}(table_name)", table_name),
                watermark_col=_optional_name(f"{method}(watermark_col)", watermark_col),
                source_silvers=_names(f"{method}(source_silvers)", source_silvers),
            )
        )
        return self

    def add_gold_transform(
        self,
        *,
        name: str,
        transform: GoldTransform,
        rules: Rules,
        table_name: str,
        source_silvers: Sequence[str] | None = None,
    ) -> Self:
        """Add a gold step: a table recomputed from silver data on every run.

        Parameters
        ----------
        name
            The step's name.
        transform
            ``transform(spark, silvers) -> DataFrame``.
        rules
            Rules for the transform's rows; the valid ones are written to ``table_name``.
        table_name
            Its Delta table in the pipeline's schema.
        source_silvers
            The silver steps it reads; None means all of them.

        Returns
        -------
        PipelineBuilder
            This builder.

        Raises
        ------
        ConfigurationError
            ``CONFIG_INVALID`` for an invalid argument.
        ValidationError
            ``RULES_INVALID`` for malformed rules.

        Examples
        --------
        Continuing the ``builder`` of
        [`add_silver_transform`][sparkforge.PipelineBuilder.add_silver_transform]:

        ```python
        from pyspark.sql import functions as F


        def daily_totals(spark, silvers):
            orders_df = silvers["clean_orders"]
            return orders_df.groupBy("order_date").agg(F.sum("amount").alias("total"))


        builder.add_gold_transform(
            name="daily_totals",
            transform=daily_totals,
            rules={"total": [F.col("total") >= 0]},
            table_name="daily_totals",
            source_silvers=["clean_orders"],
        )
        ```
        """
        method = "add_gold_transform"
        _callable(f"{method}(transform)", transform)
        self._steps.append(
            GoldStep(
                name=_name(f"{method}(name)", name),
                transform=transform,
                rules=normalize_rules(rules, step=name),
                table_name=self._table(f"{method}(table_name)", table_name),
                source_silvers=(
                    None
                    if source_silvers is None
                    else _names(f"{method}(source_silvers)", source_silvers)
                ),
            )
        )
        return self

    def to_pipeline(self) -> PipelineRunner:
        """Validate the graph and return the runnable pipeline.

        Returns
        -------
        PipelineRunner
            The pipeline; its ``run_*`` methods return a
            [`PipelineReport`][sparkforge.PipelineReport].

        Raises
        ------
        PipelineError
            ``PIPELINE_GRAPH_INVALID``, listing every problem of the graph.

        Examples
        --------
        Continuing the ``builder`` of
        [`add_gold_transform`][sparkforge.PipelineBuilder.add_gold_transform]:

        ```python
        pipeline = builder.to_pipeline()
        pipeline.plan.order  # ('orders', 'clean_orders', 'daily_totals')
        report = pipeline.run_initial_load(bronze_sources={"orders": orders_df})
        ```
        """
        plan = build_plan(
            self._steps, schema=self._schema, quarantine=self._config.quarantine_invalid
        )
        return PipelineRunner(
            self._spark,
            plan=plan,
            schema=self._schema,
            config=self._config,
            pipeline_name=self._pipeline_name,
            log_writer=self._log_writer,
            log_config=self._log_config,
        )

    def _table(self, option: str, table_name: object) -> str:
        if not isinstance(table_name, str):
            _invalid(option, f"expected a table name, got {type(table_name).__name__}")
        try:
            TableRef.named(self._schema, table_name)
        except SparkForgeError as exc:
            _invalid(option, exc.params.get("reason", str(exc)))
        return table_name
