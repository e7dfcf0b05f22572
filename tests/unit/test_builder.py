"""PipelineBuilder and graph validation, without a JVM (Spark is a stand-in that fails on use)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import pytest

import sparkforge.pipeline as pipeline_module
from sparkforge.errors import ConfigurationError, PipelineError, ValidationError
from sparkforge.models import Phase, PipelineConfig
from sparkforge.pipeline import (
    BronzeStep,
    GoldStep,
    PipelineBuilder,
    PipelineRunner,
    RunLogConfig,
    SilverStep,
)
from sparkforge.validation import Rule
from sparkforge.writer import LogWriter, WriterConfig
from tests.unit._fakes import NoSpark, fake_column

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import DataFrame, SparkSession


def _silver(spark: SparkSession, df: DataFrame, prior: dict[str, DataFrame]) -> DataFrame:
    return df


def _gold(spark: SparkSession, silvers: dict[str, DataFrame]) -> DataFrame:
    return next(iter(silvers.values()))


def _builder(*, quarantine: bool = False) -> PipelineBuilder:
    return PipelineBuilder(
        cast("SparkSession", NoSpark()),
        schema="shop",
        config=PipelineConfig(quarantine_invalid=quarantine),
        pipeline_name="orders",
    )


def _graph_problems(builder: PipelineBuilder) -> str:
    with pytest.raises(PipelineError) as caught:
        builder.to_pipeline()
    assert caught.value.code == "PIPELINE_GRAPH_INVALID"
    assert caught.value.report is None
    return caught.value.params["reason"]


def test_pipeline_package_exports_its_public_names() -> None:
    public = {n for n in vars(pipeline_module) if not n.startswith("_")}
    public -= {"annotations", "builder", "plan", "run_environment", "run_log", "runner", "steps"}
    assert set(pipeline_module.__all__) == public
    # Casefold order, as in every sparkforge module (house style; tests/unit/test_public_api.py).
    assert pipeline_module.__all__ == sorted(pipeline_module.__all__, key=str.casefold)


def test_builder_builds_without_any_spark_call() -> None:
    runner = (
        _builder()
        .with_bronze_rules(name="orders", rules={"id": [fake_column("isNotNull(id)")]})
        .add_silver_transform(
            name="clean", source_bronze="orders", transform=_silver, rules={}, table_name="clean"
        )
        .add_gold_transform(name="daily", transform=_gold, rules={}, table_name="daily")
        .to_pipeline()
    )
    assert isinstance(runner, PipelineRunner)
    assert (runner.schema, runner.pipeline_name) == ("shop", "orders")
    assert runner.config == PipelineConfig()
    assert runner.plan.order == ("orders", "clean", "daily")


def test_builder_records_steps_as_specs() -> None:
    builder = (
        _builder()
        .with_bronze_rules(
            name="orders",
            rules={"amount": [Rule("positive", fake_column(">(amount, 0)"))]},
            incremental_col="ts",
        )
        .add_silver_transform(
            name="clean",
            source_bronze="orders",
            transform=_silver,
            rules={},
            table_name="clean_orders",
            watermark_col="ts",
        )
        .add_gold_transform(
            name="daily", transform=_gold, rules={}, table_name="daily", source_silvers=["clean"]
        )
    )
    bronze, silver, gold = builder.steps
    assert isinstance(bronze, BronzeStep)
    assert (bronze.phase, bronze.incremental_col) == (Phase.BRONZE, "ts")
    assert [(r.column, r.name) for r in bronze.rules] == [("amount", "positive")]
    assert isinstance(silver, SilverStep)
    assert (silver.phase, silver.table_name, silver.watermark_col) == (
        Phase.SILVER,
        "clean_orders",
        "ts",
    )
    assert silver.transform is _silver
    assert isinstance(gold, GoldStep)
    assert (gold.phase, gold.source_silvers) == (Phase.GOLD, ("clean",))


def test_plan_orders_silvers_by_dependency_then_declaration() -> None:
    runner = (
        _builder()
        .with_bronze_rules(name="b1", rules={})
        .with_bronze_rules(name="b2", rules={})
        # `enriched` is declared first but needs `customers` and `orders`.
        .add_silver_transform(
            name="enriched",
            source_bronze="b1",
            transform=_silver,
            rules={},
            table_name="enriched",
            source_silvers=["customers", "orders"],
        )
        .add_silver_transform(
            name="orders", source_bronze="b1", transform=_silver, rules={}, table_name="orders"
        )
        .add_silver_transform(
            name="customers", source_bronze="b2", transform=_silver, rules={}, table_name="cust"
        )
        .add_gold_transform(name="g_all", transform=_gold, rules={}, table_name="g_all")
        .add_gold_transform(
            name="g_one", transform=_gold, rules={}, table_name="g_one", source_silvers=["orders"]
        )
        .to_pipeline()
    )
    plan = runner.plan
    assert plan.order == ("b1", "b2", "orders", "customers", "enriched", "g_all", "g_one")
    assert dict(plan.dependencies) == {
        "b1": (),
        "b2": (),
        "enriched": ("b1", "customers", "orders"),
        "orders": ("b1",),
        "customers": ("b2",),
        "g_all": ("enriched", "orders", "customers"),
        "g_one": ("orders",),
    }
    assert plan.step("orders").phase is Phase.SILVER
    with pytest.raises(KeyError):
        plan.step("nope")


def _two_tier() -> PipelineBuilder:
    return _builder().with_bronze_rules(name="orders", rules={})


def _add_silver(
    builder: PipelineBuilder, name: str, *, source: str = "orders", table: str | None = None,
    silvers: tuple[str, ...] = (),
) -> PipelineBuilder:  # fmt: skip
    return builder.add_silver_transform(
        name=name,
        source_bronze=source,
        transform=_silver,
        rules={},
        table_name=table or name,
        source_silvers=silvers,
    )


GRAPH_CASES: list[tuple[str, Callable[[], PipelineBuilder], str]] = [
    ("no-steps", lambda: _builder(), "pipeline: it has no steps"),
    (
        "duplicate-name",
        lambda: _add_silver(_two_tier(), "orders", table="t"),
        "silver step 'orders': duplicate step name (also a bronze step)",
    ),
    (
        "unknown-bronze",
        lambda: _add_silver(_two_tier(), "s", source="ordres"),
        "silver step 's': source_bronze 'ordres' is an unknown step, not a bronze step",
    ),
    (
        "bronze-is-silver",
        lambda: _add_silver(_add_silver(_two_tier(), "a"), "b", source="a"),
        "silver step 'b': source_bronze 'a' is a silver step, not a bronze step",
    ),
    (
        "unknown-silver",
        lambda: _add_silver(_two_tier(), "s", silvers=("ghost",)),
        "silver step 's': source_silvers entry 'ghost' is an unknown step, not a silver step",
    ),
    (
        "self-dependency",
        lambda: _add_silver(_two_tier(), "s", silvers=("s",)),
        "silver step 's': it lists itself in source_silvers",
    ),
    (
        "silver-reads-bronze-as-silver",
        lambda: _add_silver(_two_tier(), "s", silvers=("orders",)),
        "source_silvers entry 'orders' is a bronze step, not a silver step",
    ),
    (
        "gold-unknown-silver",
        lambda: _add_silver(_two_tier(), "s").add_gold_transform(
            name="g", transform=_gold, rules={}, table_name="g", source_silvers=["s", "x"]
        ),
        "gold step 'g': source_silvers entry 'x' is an unknown step, not a silver step",
    ),
    (
        "gold-empty-sources",
        lambda: _add_silver(_two_tier(), "s").add_gold_transform(
            name="g", transform=_gold, rules={}, table_name="g", source_silvers=[]
        ),
        "gold step 'g': source_silvers is empty",
    ),
    (
        "gold-without-silvers",
        lambda: _two_tier().add_gold_transform(name="g", transform=_gold, rules={}, table_name="g"),
        "gold step 'g': the pipeline has no silver step to read",
    ),
    (
        "shared-table",
        lambda: _add_silver(_add_silver(_two_tier(), "a", table="T1"), "b", table="t1"),
        "silver step 'b': table 't1' is also written by step 'a'",
    ),
    (
        "cycle",
        lambda: _add_silver(
            _add_silver(_add_silver(_two_tier(), "a", silvers=("c",)), "b", silvers=("a",)),
            "c",
            silvers=("b",),
        ),
        "silver steps: dependency cycle: a -> c -> b -> a",
    ),
]


@pytest.mark.parametrize(
    ("make", "problem"),
    [(make, problem) for _, make, problem in GRAPH_CASES],
    ids=[case for case, _, _ in GRAPH_CASES],
)
def test_to_pipeline_rejects_invalid_graphs(
    make: Callable[[], PipelineBuilder], problem: str
) -> None:
    assert problem in _graph_problems(make())


def test_to_pipeline_reports_every_graph_problem_at_once() -> None:
    builder = _add_silver(_add_silver(_two_tier(), "a", source="x"), "a", source="y")
    reason = _graph_problems(builder)
    assert reason.startswith("2 problem(s): ")
    assert "duplicate step name" in reason
    assert "source_bronze 'x'" in reason


def test_to_pipeline_checks_quarantine_tables_only_when_quarantining() -> None:
    def make(quarantine: bool) -> PipelineBuilder:
        builder = _builder(quarantine=quarantine).with_bronze_rules(name="orders", rules={})
        builder = _add_silver(builder, "a", table="clean")
        return _add_silver(builder, "b", table="clean_quarantine")

    make(False).to_pipeline()
    assert "table 'clean_quarantine' is also written by step 'a'" in _graph_problems(make(True))


def test_to_pipeline_rejects_a_table_too_long_for_its_quarantine() -> None:
    table = "t" * 120  # valid alone, too long with "_quarantine"
    _add_silver(_builder().with_bronze_rules(name="orders", rules={}), "s", table=table)
    builder = _add_silver(
        _builder(quarantine=True).with_bronze_rules(name="orders", rules={}), "s", table=table
    )
    assert "longer than 128 characters" in _graph_problems(builder)


ARGUMENT_CASES: list[tuple[str, Callable[[PipelineBuilder], object], str]] = [
    ("bronze-name", lambda b: b.with_bronze_rules(name="my orders", rules={}), "(name)"),
    ("bronze-name-type", lambda b: b.with_bronze_rules(name=3, rules={}), "(name)"),  # type: ignore[arg-type]
    ("bronze-name-digit", lambda b: b.with_bronze_rules(name="1st", rules={}), "(name)"),
    (
        "incremental-col",
        lambda b: b.with_bronze_rules(name="o", rules={}, incremental_col="a.b"),
        "(incremental_col)",
    ),
    (
        "transform",
        lambda b: b.add_silver_transform(
            name="s",
            source_bronze="o",
            transform="df",  # type: ignore[arg-type]
            rules={},
            table_name="t",
        ),
        "(transform)",
    ),
    (
        "hyphenated-table",
        lambda b: b.add_silver_transform(
            name="s", source_bronze="o", transform=_silver, rules={}, table_name="my-table"
        ),
        "(table_name)",
    ),
    (
        "table-type",
        lambda b: b.add_gold_transform(name="g", transform=_gold, rules={}, table_name=None),  # type: ignore[arg-type]
        "(table_name)",
    ),
    (
        "source-silvers-string",
        lambda b: b.add_silver_transform(
            name="s",
            source_bronze="o",
            transform=_silver,
            rules={},
            table_name="t",
            source_silvers="other",
        ),
        "(source_silvers)",
    ),
    (
        "watermark-col",
        lambda b: b.add_silver_transform(
            name="s",
            source_bronze="o",
            transform=_silver,
            rules={},
            table_name="t",
            watermark_col="",
        ),
        "(watermark_col)",
    ),
    (
        "gold-sources",
        lambda b: b.add_gold_transform(
            name="g",
            transform=_gold,
            rules={},
            table_name="g",
            source_silvers=[1],  # type: ignore[list-item]
        ),
        "(source_silvers)",
    ),
]


@pytest.mark.parametrize(
    ("call", "option"),
    [(call, option) for _, call, option in ARGUMENT_CASES],
    ids=[case for case, _, _ in ARGUMENT_CASES],
)
def test_builder_rejects_invalid_arguments_at_the_call(
    call: Callable[[PipelineBuilder], object], option: str
) -> None:
    builder = _builder()
    with pytest.raises(ConfigurationError) as caught:
        call(builder)
    assert caught.value.code == "CONFIG_INVALID"
    assert caught.value.params["option"].endswith(option)
    assert builder.steps == ()


def test_builder_rejects_malformed_rules_with_the_step_name() -> None:
    with pytest.raises(ValidationError) as caught:
        _builder().add_gold_transform(
            name="daily",
            transform=_gold,
            rules={"x": [1]},  # type: ignore[list-item]
            table_name="daily",
        )
    assert caught.value.code == "RULES_INVALID"
    assert caught.value.params["step"] == "daily"


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        ({"schema": "my schema"}, "PipelineBuilder(schema)"),
        ({"schema": "a/b"}, "PipelineBuilder(schema)"),
        ({"schema": "s", "config": {"max_parallel_steps": 2}}, "PipelineBuilder(config)"),
        ({"schema": "s", "pipeline_name": " "}, "PipelineBuilder(pipeline_name)"),
        ({"schema": "s", "log_writer": "ops.run_log"}, "PipelineBuilder(log_writer)"),
        ({"schema": "s", "log_writer": None, "log_config": {}}, "PipelineBuilder(log_config)"),
        ({"schema": "s", "log_config": RunLogConfig()}, "PipelineBuilder(log_config)"),
    ],
    ids=[
        "schema-space",
        "schema-slash",
        "config-dict",
        "blank-name",
        "writer-str",
        "log-config-dict",
        "log-config-without-writer",
    ],
)
def test_builder_rejects_invalid_construction(kwargs: dict[str, object], option: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        PipelineBuilder(cast("SparkSession", NoSpark()), **kwargs)  # type: ignore[arg-type]
    assert caught.value.params["option"] == option


def test_builder_hands_its_log_writer_and_config_to_the_pipeline() -> None:
    spark = cast("SparkSession", NoSpark())
    writer = LogWriter(spark, WriterConfig(table_schema="ops", table_name="run_log"))
    config = RunLogConfig(strict=True, environment_tags=False, tags={"team": "sales"})
    runner = (
        PipelineBuilder(spark, schema="shop", log_writer=writer, log_config=config)
        .with_bronze_rules(name="orders", rules={})
        .to_pipeline()
    )
    assert runner.log_writer is writer
    assert runner.log_config is config
    plain = _builder().with_bronze_rules(name="orders", rules={}).to_pipeline()
    assert plain.log_writer is None
    assert plain.log_config == RunLogConfig()
