"""The CREATE TABLE text, without a JVM: quoting, literals, column definitions, the statement.

Spark's lexer and unescaping of string literals and backquoted identifiers are restated here
from Spark's grammar (``SqlBaseLexer.g4``: ``STRING_LITERAL``, ``BACKQUOTED_IDENTIFIER``) and
``SparkParserUtils.unescapeSQLString``, so every generated text is checked to be read back as
exactly the original value, with no way out of the literal. The integration tests check the
same on real Delta (tests/integration/test_table_operations.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyspark.sql import types as T

from sparkforge.table_operations.ddl import (
    column_definitions,
    create_table_statement,
    quote_name,
    sql_string,
    type_sql,
)

_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
PACKAGE = Path(__file__).resolve().parents[2] / "sparkforge"


def _read_string_literal(text: str) -> tuple[str, str]:
    """Lex one Spark string literal at the start of ``text``; return (value, rest)."""
    assert text[0] == "'"
    index, value = 1, list[str]()
    while True:
        char = text[index]
        if char == "'":
            return "".join(value), text[index + 1 :]
        if char == "\\":
            following = text[index + 1]
            value.append(_ESCAPES.get(following, following))
            index += 2
            continue
        value.append(char)
        index += 1


def _read_backquoted(text: str) -> tuple[str, str]:
    """Lex one backquoted identifier at the start of ``text``; return (name, rest)."""
    assert text[0] == "`"
    index, name = 1, list[str]()
    while True:
        if text[index] == "`":
            if text[index + 1 : index + 2] == "`":
                name.append("`")
                index += 2
                continue
            return "".join(name), text[index + 1 :]
        name.append(text[index])
        index += 1


@given(st.text())
def test_sql_string_reads_back_as_the_value_and_ends_where_it_ends(value: str) -> None:
    literal = sql_string(value)
    assert _read_string_literal(literal + " rest") == (value, " rest")


@given(st.text())
def test_quote_name_reads_back_as_the_name(name: str) -> None:
    assert _read_backquoted(quote_name(name) + ".x") == (name, ".x")


@pytest.mark.parametrize(
    ("data_type", "sql"),
    [
        (T.LongType(), "bigint"),
        (T.TimestampType(), "timestamp"),
        (T.TimestampNTZType(), "timestamp_ntz"),
        (T.DecimalType(38, 6), "decimal(38,6)"),
        (T.ArrayType(T.StringType(), False), "ARRAY<string>"),
        (T.MapType(T.StringType(), T.LongType()), "MAP<string, bigint>"),
        (
            T.StructType(
                [
                    T.StructField("a`b", T.IntegerType(), False, {"comment": "it's"}),
                    T.StructField("c", T.ArrayType(T.DoubleType())),
                ]
            ),
            "STRUCT<`a``b`: int NOT NULL COMMENT 'it\\'s', `c`: ARRAY<double>>",
        ),
    ],
    ids=["bigint", "timestamp", "timestamp_ntz", "decimal", "array", "map", "struct"],
)
def test_type_sql(data_type: T.DataType, sql: str) -> None:
    assert type_sql(data_type) == sql


def test_column_definitions_keep_not_null_and_comments_and_skip_other_metadata() -> None:
    schema = T.StructType(
        [
            T.StructField("id", T.LongType(), False, {"comment": "key"}),
            T.StructField("note", T.StringType(), True, {"origin": "x"}),
            T.StructField("empty", T.StringType(), True, {}),
        ]
    )
    assert column_definitions(schema) == (
        "`id` bigint NOT NULL COMMENT 'key', `note` string, `empty` string"
    )


def test_create_table_statement_clauses_in_order() -> None:
    schema = T.StructType([T.StructField("day", T.DateType(), False)])
    statement = create_table_statement(
        "delta.`/data/log`",
        schema,
        cluster_by=["day"],
        properties={"delta.appendOnly": "true", "owner": "a\\b"},
        comment="the log",
    )
    assert statement == (
        "CREATE TABLE IF NOT EXISTS delta.`/data/log` (`day` date NOT NULL) USING DELTA "
        "CLUSTER BY (`day`) COMMENT 'the log' "
        "TBLPROPERTIES ('delta.appendOnly' = 'true', 'owner' = 'a\\\\b')"
    )


def test_create_table_statement_without_options_has_no_clauses() -> None:
    schema = T.StructType([T.StructField("id", T.LongType())])
    assert create_table_statement("`s`.`t`", schema) == (
        "CREATE TABLE IF NOT EXISTS `s`.`t` (`id` bigint) USING DELTA"
    )


@given(
    comment=st.text(),
    key=st.text(min_size=1),
    value=st.text(),
)
def test_create_table_statement_values_stay_inside_their_literals(
    comment: str, key: str, value: str
) -> None:
    schema = T.StructType([T.StructField("id", T.LongType())])
    statement = create_table_statement("`s`.`t`", schema, properties={key: value}, comment=comment)
    rest = statement.split(" COMMENT ", 1)[1]
    found_comment, rest = _read_string_literal(rest)
    assert found_comment == comment
    assert rest.startswith(" TBLPROPERTIES (")
    found_key, rest = _read_string_literal(rest.removeprefix(" TBLPROPERTIES ("))
    found_value, rest = _read_string_literal(rest.removeprefix(" = "))
    assert (found_key, found_value, rest) == (key, value, ")")


def _imports_delta_tables(node: ast.AST) -> bool:
    names: list[str] = []
    if isinstance(node, ast.ImportFrom) and node.module:
        names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    elif isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    return any(name == "delta.tables" or name.startswith("delta.tables.") for name in names)


def _runtime_delta_tables_imports(source: str, file: str) -> list[tuple[str, str]]:
    """Return (file, enclosing function or ``<module>``) of each run-time ``delta.tables`` import.

    Imports under ``if TYPE_CHECKING:`` are for the type checker only and are not counted.
    """
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING":
                for other in child.orelse:
                    visit(other, where)
                continue
            if _imports_delta_tables(child):
                found.append((file, where))
            inner = (
                child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else where
            )
            visit(child, inner)

    visit(ast.parse(source), "<module>")
    return found


def test_delta_tables_is_imported_only_by_the_optional_handle() -> None:
    """The library runs on Spark Connect without Delta's plugin: no DeltaTable on any path.

    The one import left is inside ``TableRef.delta_table``, a method for callers' own use on
    classic sessions, which sparkforge itself never calls (the Spark Connect tests prove it).
    """
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        for hit in _runtime_delta_tables_imports(
            path.read_text(encoding="utf-8"), path.relative_to(PACKAGE).as_posix()
        )
    ]
    assert found == [("table_operations/table_ref.py", "delta_table")]


def test_the_import_finder_sees_every_run_time_import() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import delta.tables\n"
        "if TYPE_CHECKING:\n    from delta.tables import DeltaTable\n"
        "if True:\n    from delta.tables import DeltaTable\n"
        "def f():\n    from delta import tables\n    import delta.exceptions\n"
    )
    assert _runtime_delta_tables_imports(source, "probe.py") == [
        ("probe.py", "<module>"),
        ("probe.py", "<module>"),
        ("probe.py", "f"),
    ]


def test_the_library_never_calls_the_optional_handle() -> None:
    calls = [
        (path.relative_to(PACKAGE).as_posix(), node.lineno)
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in {"delta_table", "DeltaTable"}
    ]
    assert calls == []
