"""Unit tests of ``sparkforge.writer.config``: every WriterConfig option, valid and invalid."""

from __future__ import annotations

import dataclasses
import typing
from typing import TYPE_CHECKING, TypedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparkforge.errors import ConfigurationError, SparkForgeError, TableOperationError
from sparkforge.table_operations import validate_identifier
from sparkforge.writer.config import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_COMMIT_ATTEMPTS,
    DEFAULT_PARTITION_COLUMNS,
    DEFAULT_TABLE_NAME_PATTERN,
    DEFAULT_TABLE_PROPERTIES,
    PARTITIONABLE_COLUMNS,
    Compression,
    CompressionName,
    Deduplication,
    DeduplicationName,
    FailurePolicy,
    WriteMode,
    WriterConfig,
)
from sparkforge.writer.exceptions import WriterConfigurationError, WriterError

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def _no_jvm_started() -> Iterator[None]:
    """Fail any test here that starts a SparkContext (unit tests never start a JVM)."""
    from pyspark import SparkContext

    before = SparkContext._active_spark_context
    yield
    assert SparkContext._active_spark_context is before


class _Target(TypedDict):
    table_schema: str
    table_name: str


TARGET: _Target = {"table_schema": "ops", "table_name": "run_log"}


def _build(**options: object) -> WriterConfig | WriterConfigurationError:
    """Build a config, or return the configuration error it raised (any other error escapes)."""
    try:
        return WriterConfig(**options)  # type: ignore[arg-type]
    except WriterConfigurationError as exc:
        return exc


def _rejected(option: str, **options: object) -> WriterConfigurationError:
    """Build a config from ``options``; assert it is rejected naming ``option``."""
    with pytest.raises(WriterConfigurationError) as info:
        WriterConfig(**options)  # type: ignore[arg-type]
    assert info.value.code == "WRITER_CONFIG_INVALID"
    assert info.value.params["option"] == option
    assert info.value.params["reason"]
    return info.value


# --------------------------------------------------------------------------- defaults, errors


def test_writer_config_defaults() -> None:
    config = WriterConfig(table_schema="ops", table_name="run_log")
    assert (config.table_schema, config.table_name, config.table_path) == ("ops", "run_log", None)
    assert config.table_name_pattern == "{table_name}" == DEFAULT_TABLE_NAME_PATTERN
    assert config.environment is None
    assert config.write_mode is WriteMode.APPEND
    assert config.partition_columns == () == DEFAULT_PARTITION_COLUMNS
    assert dict(config.table_properties) == {}
    assert config.batch_size == 100_000 == DEFAULT_BATCH_SIZE
    assert config.compression == "snappy"
    assert config.enable_performance_monitoring is True
    assert config.enable_data_quality_checks is True
    assert config.on_failure is FailurePolicy.RAISE
    assert config.deduplication == "transaction"
    assert config.max_commit_attempts == 5 == DEFAULT_MAX_COMMIT_ATTEMPTS
    assert config.resolved_table_name == "run_log"
    assert config.table.fqn == "ops.run_log"


def test_writer_config_error_is_a_configuration_value_error() -> None:
    error = _rejected("batch_size", **TARGET, batch_size=0)
    assert isinstance(error, WriterError)
    assert isinstance(error, ConfigurationError)
    assert isinstance(error, SparkForgeError)
    assert isinstance(error, ValueError)


def test_writer_config_is_frozen() -> None:
    config = WriterConfig(table_schema="ops", table_name="run_log")
    for name in ("table_name", "batch_size", "write_mode", "table_properties"):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(config, name, getattr(config, name))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.batch_size = 10  # type: ignore[misc]


def test_writer_config_equal_configs_are_equal_and_hash_alike() -> None:
    first = WriterConfig(table_schema="ops", table_name="run_log", table_properties={"a": "1"})
    second = WriterConfig(table_schema="ops", table_name="run_log", table_properties={"a": "1"})
    other = WriterConfig(table_schema="ops", table_name="run_log", table_properties={"a": "2"})
    assert first == second
    assert hash(first) == hash(second)
    assert first != other
    assert len({first, second, other}) == 2


# --------------------------------------------------------------------------- the table


def test_writer_config_path_table() -> None:
    config = WriterConfig(table_path="s3://bucket/logs/run_log")
    assert config.table.path == "s3://bucket/logs/run_log"
    assert config.table.is_path
    assert config.resolved_table_name is None


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"table_schema": "ops", "table_name": "run_log", "table_path": "/logs"}, "table_path"),
        ({"table_name": "run_log", "table_path": "/logs"}, "table_path"),
        ({"table_schema": "ops", "table_path": "/logs"}, "table_path"),
        ({}, "table_name"),
        ({"table_schema": "ops"}, "table_name"),
        ({"table_name": "run_log"}, "table_schema"),
    ],
    ids=["all_three", "name_and_path", "schema_and_path", "neither", "only_schema", "only_name"],
)
def test_writer_config_rejects_target_combinations(options: dict[str, str], option: str) -> None:
    _rejected(option, **options)


HOSTILE_NAMES: list[object] = [
    'run"log',
    "run'log",
    "run`log",
    "run_log; DROP TABLE ops.run_log",
    "run_log--",
    "run log",
    "run-log",
    "run.log",
    "run_log\n",
    "\x00",
    "select",
    "SELECT",
    "drop",
    "Table",
    "journal_é",
    "日志",
    "x" * 129,
    "",
    "1run_log",
    None,
    42,
]
HOSTILE_IDS = [
    "double_quote",
    "single_quote",
    "backtick",
    "semicolon_injection",
    "sql_comment",
    "space",
    "dash",
    "dot",
    "trailing_newline",
    "nul",
    "keyword_select",
    "keyword_select_upper",
    "keyword_drop",
    "keyword_table_mixed_case",
    "latin_accent",
    "cjk",
    "129_chars",
    "empty",
    "digit_first",
    "none",
    "int",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=HOSTILE_IDS)
@pytest.mark.parametrize("option", ["table_schema", "table_name"], ids=["schema", "table"])
def test_writer_config_rejects_hostile_identifiers(option: str, name: object) -> None:
    # The identifier rules are validate_identifier's alone: the config agrees with it.
    try:
        validate_identifier(name, kind="table")
    except TableOperationError:
        _rejected(option, **{**TARGET, option: name})
    else:
        assert isinstance(_build(**{**TARGET, option: name}), WriterConfig)


@pytest.mark.parametrize(
    "name",
    ["a", "_", "x" * 128, "Run_Log_2", "selection"],
    ids=["one", "underscore", "128", "mixed", "prefix_kw"],
)
def test_writer_config_accepts_safe_identifiers(name: str) -> None:
    config = WriterConfig(table_schema=name, table_name=name)
    assert config.table.fqn == f"{name}.{name}"


@pytest.mark.parametrize(
    "path",
    ["", "   ", "/logs/`run_log`", "/logs/\x00", "/logs\n", 5],
    ids=["empty", "blank", "backtick", "nul", "newline", "int"],
)
def test_writer_config_rejects_bad_table_paths(path: object) -> None:
    _rejected("table_path", table_path=path)


_table_names = st.one_of(
    st.text(max_size=140),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,130}", fullmatch=True),  # mostly valid
    st.sampled_from(["select", "Drop", "TABLE", "union", "users"]),
)


@given(_table_names)
def test_writer_config_table_name_is_a_valid_identifier_or_rejected(name: str) -> None:
    built = _build(table_schema="ops", table_name=name)
    if isinstance(built, WriterConfig):
        assert validate_identifier(name) == name
        assert built.table.name == name
    else:
        assert (built.code, built.params["option"]) == ("WRITER_CONFIG_INVALID", "table_name")
        with pytest.raises(TableOperationError):
            validate_identifier(name)


# --------------------------------------------------------------------------- naming pattern


@pytest.mark.parametrize(
    ("pattern", "environment", "resolved"),
    [
        ("{table_name}", None, "run_log"),
        ("{table_name}_{environment}", "dev", "run_log_dev"),
        ("{environment}_{table_name}", "prod", "prod_run_log"),
        ("log_{table_name}_v1", None, "log_run_log_v1"),
    ],
    ids=["default", "suffix_env", "prefix_env", "literal_parts"],
)
def test_writer_config_table_name_pattern_resolves(
    pattern: str, environment: str | None, resolved: str
) -> None:
    config = WriterConfig(
        table_schema="ops",
        table_name="run_log",
        table_name_pattern=pattern,
        environment=environment,
    )
    assert config.resolved_table_name == resolved
    assert config.table.fqn == f"ops.{resolved}"


@pytest.mark.parametrize(
    "pattern",
    [
        "run_log",
        "{environment}",
        "{table_name}_{region}",
        "{table_name}_{}",
        "{table_name}_{0}",
        "{table_name.upper}",
        "{table_name[0]}",
        "{table_name!r}",
        "{table_name:x}",
        "{table_name:>200}",
        "{table_name:{environment}}",
        "{table_name",
        "{table_name}}",
        "{{table_name}}",
        "{table_name}-v1",
        "{table_name}; DROP TABLE x",
        "{table_name}" + "x" * 122,
        "",
        5,
        None,
    ],
    ids=[
        "no_placeholder",
        "no_table_name",
        "unknown_placeholder",
        "positional",
        "index",
        "attribute",
        "item",
        "conversion",
        "format_spec",
        "padding_spec",
        "nested_spec",
        "unclosed",
        "stray_brace",
        "escaped_braces",
        "resolves_with_dash",
        "resolves_with_injection",
        "resolves_too_long",
        "empty",
        "int",
        "none",
    ],
)
def test_writer_config_rejects_table_name_patterns(pattern: object) -> None:
    _rejected("table_name_pattern", **TARGET, environment="dev", table_name_pattern=pattern)


def test_writer_config_pattern_with_environment_needs_environment() -> None:
    _rejected("environment", **TARGET, table_name_pattern="{table_name}_{environment}")


def test_writer_config_pattern_does_not_apply_to_a_path_table() -> None:
    _rejected("table_name_pattern", table_path="/logs", table_name_pattern="{table_name}_x")


_PATTERN_PARTS = st.sampled_from(
    ["{table_name}", "{environment}", "{", "}", "{}", "{0}", ":", "!r", "!s", ">9", "_", "x", "."]
)


@given(
    st.one_of(st.text(max_size=30), st.lists(_PATTERN_PARTS, max_size=6).map("".join)),
    st.none() | st.text(max_size=10),
)
def test_writer_config_any_pattern_is_valid_or_rejected(
    pattern: str, environment: str | None
) -> None:
    built = _build(**TARGET, table_name_pattern=pattern, environment=environment)
    if isinstance(built, WriterConfig):
        resolved = built.resolved_table_name
        assert resolved is not None
        assert validate_identifier(resolved) == resolved
        assert built.table.name == resolved
    else:
        assert built.code == "WRITER_CONFIG_INVALID"
        assert built.params["option"] in ("table_name_pattern", "environment")


# --------------------------------------------------------------------------- environment


def test_writer_config_environment_is_kept() -> None:
    assert WriterConfig(**TARGET, environment="prod").environment == "prod"


@pytest.mark.parametrize(
    "environment",
    [5, b"dev", "", "   ", "dev\ud800"],
    ids=["int", "bytes", "empty", "blank", "lone_surrogate"],
)
def test_writer_config_rejects_bad_environments(environment: object) -> None:
    _rejected("environment", **TARGET, environment=environment)


# --------------------------------------------------------------------------- enums


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        (WriteMode.APPEND, WriteMode.APPEND),
        (WriteMode.OVERWRITE, WriteMode.OVERWRITE),
        ("append", WriteMode.APPEND),
        ("overwrite", WriteMode.OVERWRITE),
    ],
    ids=["append_member", "overwrite_member", "append_text", "overwrite_text"],
)
def test_writer_config_write_mode_takes_member_or_value(
    given_value: object, expected: WriteMode
) -> None:
    config = WriterConfig(**TARGET, write_mode=given_value)  # type: ignore[arg-type]
    assert config.write_mode is expected


@pytest.mark.parametrize(
    "write_mode",
    ["merge", "APPEND", "", None, 1, ["append"], FailurePolicy.RAISE],
    ids=["unknown", "upper_case", "empty", "none", "int", "list", "other_enum"],
)
def test_writer_config_rejects_bad_write_modes(write_mode: object) -> None:
    _rejected("write_mode", **TARGET, write_mode=write_mode)


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        (FailurePolicy.RAISE, FailurePolicy.RAISE),
        (FailurePolicy.WARN, FailurePolicy.WARN),
        ("raise", FailurePolicy.RAISE),
        ("warn", FailurePolicy.WARN),
    ],
    ids=["raise_member", "warn_member", "raise_text", "warn_text"],
)
def test_writer_config_on_failure_takes_member_or_value(
    given_value: object, expected: FailurePolicy
) -> None:
    config = WriterConfig(**TARGET, on_failure=given_value)  # type: ignore[arg-type]
    assert config.on_failure is expected


@pytest.mark.parametrize(
    "on_failure",
    ["ignore", "WARN", None, True, WriteMode.APPEND],
    ids=["unknown", "upper_case", "none", "bool", "other_enum"],
)
def test_writer_config_rejects_bad_failure_policies(on_failure: object) -> None:
    _rejected("on_failure", **TARGET, on_failure=on_failure)


# --------------------------------------------------------------------------- partitions


def test_writer_config_partition_columns_may_be_empty() -> None:
    assert WriterConfig(**TARGET, partition_columns=()).partition_columns == ()


def test_writer_config_partition_columns_list_becomes_a_tuple() -> None:
    config = WriterConfig(**TARGET, partition_columns=["pipeline_name", "run_date"])  # type: ignore[arg-type]
    assert config.partition_columns == ("pipeline_name", "run_date")
    assert type(config.partition_columns) is tuple


@pytest.mark.parametrize("column", sorted(PARTITIONABLE_COLUMNS), ids=sorted(PARTITIONABLE_COLUMNS))
def test_writer_config_accepts_each_partitionable_column(column: str) -> None:
    config = WriterConfig(**TARGET, partition_columns=(column,))
    assert config.partition_columns == (column,)


def test_writer_config_partitionable_columns_are_low_cardinality_log_columns() -> None:
    expected = {
        "run_date",
        "pipeline_name",
        "run_mode",
        "run_status",
        "phase",
        "row_kind",
        "step_status",
    }
    assert expected == PARTITIONABLE_COLUMNS


@pytest.mark.parametrize(
    "partition_columns",
    [
        ("run_id",),
        ("logged_at",),
        ("nope",),
        ("run_date", "run_date"),
        ("RUN_DATE",),
        "run_date",
        {"run_date"},
        None,
        (1,),
        (None,),
        (["run_date"],),
    ],
    ids=[
        "high_cardinality",
        "timestamp",
        "unknown",
        "duplicate",
        "upper_case",
        "bare_string",
        "set",
        "none",
        "int_item",
        "none_item",
        "list_item",
    ],
)
def test_writer_config_rejects_bad_partition_columns(partition_columns: object) -> None:
    _rejected("partition_columns", **TARGET, partition_columns=partition_columns)


# --------------------------------------------------------------------------- table properties


def test_writer_config_table_properties_merge_over_the_defaults() -> None:
    config = WriterConfig(
        **TARGET,
        table_properties={
            "delta.appendOnly": "true",
            "delta.setTransactionRetentionDuration": "interval 7 days",
        },
    )
    assert config.effective_table_properties == {
        "delta.setTransactionRetentionDuration": "interval 7 days",
        "sparkforge.log.schemaVersion": "1",
        "delta.appendOnly": "true",
    }
    assert dict(DEFAULT_TABLE_PROPERTIES) == {
        "delta.setTransactionRetentionDuration": "interval 30 days",
        "sparkforge.log.schemaVersion": "1",
    }
    assert WriterConfig(**TARGET).effective_table_properties == dict(DEFAULT_TABLE_PROPERTIES)


def test_writer_config_table_properties_are_frozen() -> None:
    given_properties = {"delta.appendOnly": "true"}
    config = WriterConfig(**TARGET, table_properties=given_properties)
    given_properties["delta.appendOnly"] = "false"
    given_properties["added"] = "later"
    assert dict(config.table_properties) == {"delta.appendOnly": "true"}
    with pytest.raises(TypeError):
        config.table_properties["added"] = "x"  # type: ignore[index]
    merged = config.effective_table_properties
    merged["added"] = "x"
    assert "added" not in config.effective_table_properties
    assert "added" not in DEFAULT_TABLE_PROPERTIES


@pytest.mark.parametrize(
    "table_properties",
    [{1: "a"}, {"k": 1}, {"k": None}, {"": "v"}, {"  ": "v"}, ["k"], "k=v", None],
    ids=["int_key", "int_value", "none_value", "empty_key", "blank_key", "list", "string", "none"],
)
def test_writer_config_rejects_bad_table_properties(table_properties: object) -> None:
    _rejected("table_properties", **TARGET, table_properties=table_properties)


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("batch_size", 1),
        ("batch_size", 500),
        ("batch_size", 10_000_000),
        ("max_commit_attempts", 1),
        ("max_commit_attempts", 50),
    ],
    ids=["batch_min", "batch_mid", "batch_max", "attempts_min", "attempts_max"],
)
def test_writer_config_accepts_integers_in_bounds(option: str, value: int) -> None:
    config = WriterConfig(**TARGET, **{option: value})  # type: ignore[arg-type]
    assert getattr(config, option) == value


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("batch_size", 0),
        ("batch_size", -1),
        ("batch_size", 10_000_001),
        ("batch_size", True),
        ("batch_size", False),
        ("batch_size", 100.0),
        ("batch_size", "100"),
        ("batch_size", None),
        ("max_commit_attempts", 0),
        ("max_commit_attempts", 51),
        ("max_commit_attempts", True),
        ("max_commit_attempts", 2.0),
        ("max_commit_attempts", None),
    ],
    ids=[
        "batch_zero",
        "batch_negative",
        "batch_too_big",
        "batch_true",
        "batch_false",
        "batch_float",
        "batch_text",
        "batch_none",
        "attempts_zero",
        "attempts_too_many",
        "attempts_true",
        "attempts_float",
        "attempts_none",
    ],
)
def test_writer_config_rejects_integers_out_of_bounds(option: str, value: object) -> None:
    _rejected(option, **TARGET, **{option: value})


# --------------------------------------------------------------------------- literal options


@pytest.mark.parametrize("compression", typing.get_args(CompressionName), ids=str)
def test_writer_config_accepts_each_compression(compression: CompressionName) -> None:
    config = WriterConfig(**TARGET, compression=compression)
    assert config.compression is Compression(compression)


def test_writer_config_compressions_include_the_common_codecs() -> None:
    assert {"snappy", "zstd", "gzip", "uncompressed"} <= {c.value for c in Compression}
    assert set(typing.get_args(CompressionName)) == {c.value for c in Compression}


@pytest.mark.parametrize(
    "compression",
    ["brotli", "SNAPPY", "", None, ["snappy"]],
    ids=["unknown", "upper_case", "empty", "none", "list"],
)
def test_writer_config_rejects_bad_compressions(compression: object) -> None:
    _rejected("compression", **TARGET, compression=compression)


@pytest.mark.parametrize("deduplication", typing.get_args(DeduplicationName), ids=str)
def test_writer_config_accepts_each_deduplication(deduplication: DeduplicationName) -> None:
    config = WriterConfig(**TARGET, deduplication=deduplication)
    assert config.deduplication is Deduplication(deduplication)


def test_writer_config_deduplications_are_the_documented_ones() -> None:
    assert {d.value for d in Deduplication} == {"transaction", "scan", "none"}
    assert set(typing.get_args(DeduplicationName)) == {d.value for d in Deduplication}


@pytest.mark.parametrize(
    "deduplication",
    ["merge", "TRANSACTION", "", None, True],
    ids=["unknown", "upper_case", "empty", "none", "bool"],
)
def test_writer_config_rejects_bad_deduplications(deduplication: object) -> None:
    _rejected("deduplication", **TARGET, deduplication=deduplication)


# --------------------------------------------------------------------------- flags

FLAGS = ["enable_performance_monitoring", "enable_data_quality_checks"]


@pytest.mark.parametrize("flag", FLAGS, ids=FLAGS)
def test_writer_config_flags_take_false(flag: str) -> None:
    assert getattr(WriterConfig(**TARGET, **{flag: False}), flag) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", [1, 0, "true", "False", None], ids=["one", "zero", "text_true", "text_false", "none"]
)
@pytest.mark.parametrize("flag", FLAGS, ids=FLAGS)
def test_writer_config_flags_reject_non_bools(flag: str, value: object) -> None:
    _rejected(flag, **TARGET, **{flag: value})


@pytest.mark.parametrize(
    ("properties", "fragment"),
    [
        ({"bad key;": "v"}, "expected letters"),
        ({"delta.logRetentionDuration": "it's"}, "holds a quote"),
        ({"team": "a\nb"}, "control character"),
    ],
    ids=["key-with-space-and-semicolon", "quote-in-value", "newline-in-value"],
)
def test_writer_config_table_properties_must_fit_sql_text(
    properties: dict[str, str], fragment: str
) -> None:
    # A migration sets them with SET TBLPROPERTIES; refused here, before anything runs.
    with pytest.raises(WriterConfigurationError) as caught:
        WriterConfig(table_schema="ops", table_name="run_log", table_properties=properties)
    assert caught.value.params["option"] == "table_properties"
    assert fragment in caught.value.params["reason"]


# --------------------------------------------------------------------------- enumerated options


def test_writer_config_takes_enumerated_options_as_plain_strings() -> None:
    # Type-checked by mypy with no ignore: the options accept their values as plain strings.
    config = WriterConfig(
        **TARGET,
        write_mode="overwrite",
        compression="zstd",
        on_failure="warn",
        deduplication="none",
    )
    assert config.write_mode is WriteMode.OVERWRITE
    assert config.compression is Compression.ZSTD
    assert config.on_failure is FailurePolicy.WARN
    assert config.deduplication is Deduplication.NONE


def test_writer_config_write_mode_is_the_one_write_mode_type() -> None:
    import sparkforge.models
    import sparkforge.writer

    assert WriteMode is sparkforge.models.WriteMode is sparkforge.writer.WriteMode
    assert [m.value for m in WriteMode] == ["append", "overwrite"]


def test_writer_config_refuses_overwrite_with_scan_deduplication() -> None:
    error = _rejected(
        "write_mode, deduplication", **TARGET, write_mode="overwrite", deduplication="scan"
    )
    assert "would delete those runs" in error.params["reason"]
    assert isinstance(WriterConfig(**TARGET, write_mode="overwrite"), WriterConfig)
    assert isinstance(WriterConfig(**TARGET, deduplication="scan"), WriterConfig)


@pytest.mark.parametrize(
    ("options", "option", "hint"),
    [
        (
            {"table_schema": "x", "table_name": "ops.runs"},
            "table_name",
            "give the schema as table_schema='ops' and table_name='runs'",
        ),
        (
            {"table_schema": "x", "table_name": "main.ops.runs"},
            "table_name",
            "give table_catalog='main', table_schema='ops' and table_name='runs'",
        ),
        (
            {"table_schema": "main.ops", "table_name": "runs"},
            "table_schema",
            "give the catalog as table_catalog='main' and table_schema='ops'",
        ),
    ],
    ids=["schema_in_name", "catalog_and_schema_in_name", "catalog_in_schema"],
)
def test_writer_config_dotted_name_gets_a_hint(
    options: dict[str, str], option: str, hint: str
) -> None:
    assert hint in _rejected(option, **options).params["reason"]


_BAD_OPTIONS: list[tuple[str, object]] = [
    ("write_mode", "upsert"),
    ("compression", "brotli"),
    ("on_failure", "ignore"),
    ("deduplication", "merge"),
    ("batch_size", 0),
    ("max_commit_attempts", 999),
    ("enable_performance_monitoring", "yes"),
    ("enable_data_quality_checks", 1),
    ("environment", "   "),
    ("partition_columns", ("run_date", "nope")),
    ("partition_columns", ("run_date", "run_date")),
    ("partition_columns", "run_date"),
    ("table_properties", ["delta.x"]),
    ("table_properties", {"delta.appendOnly": 5}),
    ("table_properties", {"sparkforge.log.schemaVersion": "2"}),
    ("table_properties", {"delta.x": "it's"}),
    ("table_name_pattern", "{table_name:>9}"),
    ("table_name_pattern", "logs"),
    ("table_name_pattern", "{table_name}_{region}"),
    ("table_name", "run log"),
    ("table_schema", "op$"),
    ("table_catalog", "cat alog"),
]


@pytest.mark.parametrize(
    ("option", "value"), _BAD_OPTIONS, ids=[f"{o}-{i}" for i, (o, _) in enumerate(_BAD_OPTIONS)]
)
def test_writer_config_option_error_echoes_the_bad_value(option: str, value: object) -> None:
    error = _rejected(option, **{**TARGET, option: value})
    if isinstance(value, dict):
        value = next(iter(value.values()))
    elif isinstance(value, tuple) and "nope" in value:
        value = "nope"
    assert repr(value) in error.params["reason"]


def test_writer_config_reports_every_bad_option_at_once() -> None:
    with pytest.raises(WriterConfigurationError) as caught:
        WriterConfig(**TARGET, batch_size=0, compression="brotli")  # type: ignore[arg-type]
    error = caught.value
    assert error.params["option"] == "compression, batch_size"
    assert [p.path for p in error.problems] == ["compression", "batch_size"]
    assert "got 0" in error.params["reason"]
    assert "got 'brotli'" in error.params["reason"]


def test_writer_config_bad_name_is_not_also_a_bad_pattern() -> None:
    error = _rejected("table_name", **{**TARGET, "table_name": "run log"})
    assert [p.path for p in error.problems] == ["table_name"]


def test_writer_config_table_catalog_is_validated_and_kept() -> None:
    config = WriterConfig(table_catalog="spark_catalog", **TARGET)
    assert config.table_catalog == "spark_catalog"
    _rejected("table_catalog", table_catalog="", **TARGET)


def test_writer_config_table_catalog_names_a_three_part_table() -> None:
    table = WriterConfig(table_catalog="spark_catalog", **TARGET).table
    assert table.fqn == "spark_catalog.ops.run_log"
    assert WriterConfig(**TARGET).table.fqn == "ops.run_log"
