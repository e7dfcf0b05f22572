"""The pure parts of table_operations: identifiers, table references, conflict handling."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparkforge import table_operations as ops
from sparkforge.errors import ConfigurationError, TableOperationError


@pytest.mark.parametrize(
    ("properties", "fragment"),
    [
        ({"delta.x'": "v"}, "expected letters"),
        ({"a b": "v"}, "expected letters"),
        ({"": "v"}, "expected letters"),
        ({"k": "it's"}, "holds a quote"),
        ({"k": "a\\b"}, "holds a quote, a backslash"),
        ({"k": "a\nb"}, "control character"),
        ({"k": 30}, "is a int, not a str"),
        ({1: "v"}, "expected letters"),
        ({"delta.appendOnly": "yes"}, "not a boolean"),
        ({"delta.logRetentionDuration": "30 months"}, "months or years"),
    ],
    ids=[
        "quote-key",
        "space-key",
        "empty-key",
        "quote",
        "backslash",
        "newline",
        "int",
        "int-key",
        "delta-boolean",
        "delta-interval",
    ],
)
def test_validate_properties_rejects_what_sql_text_cannot_hold(
    properties: dict[object, object], fragment: str
) -> None:
    with pytest.raises(TableOperationError) as caught:
        ops.validate_properties(properties)  # type: ignore[arg-type]
    assert caught.value.code == "IDENTIFIER_INVALID"
    assert caught.value.params["kind"] == "table property"
    assert fragment in caught.value.params["reason"]


@given(
    st.dictionaries(
        # delta.* values have rules of their own (tests of property_values).
        st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,40}", fullmatch=True).filter(
            lambda key: not key.lower().startswith("delta.")
        ),
        st.text(st.characters(exclude_characters="'\\", exclude_categories=("Cc", "Cs"))),
        max_size=5,
    )
)
def test_validate_properties_accepts_keys_and_values_sql_text_can_hold(
    properties: dict[str, str],
) -> None:
    assert ops.validate_properties(properties) == properties


@pytest.mark.parametrize(
    "name",
    ["logs", "_private", "Run_Log_2", "a" * 128, "1logs", "user", "select", "DROP", "Table"],
    ids=[
        "plain", "underscore-first", "mixed-case-digits", "max-length", "digit-first",
        "keyword-user", "keyword-select", "keyword-upper", "keyword-mixed",
    ],
)  # fmt: skip
def test_validate_identifier_accepts_names_quoting_makes_safe(name: str) -> None:
    assert ops.validate_identifier(name) == name
    assert ops.quote_identifier(name) == f"`{name}`"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("a" * 129, "longer than 128"),
        ("run log", "only ASCII"),
        ("run`log", "only ASCII"),
        ("run'log", "only ASCII"),
        ('run"log', "only ASCII"),
        ("logs;DROP TABLE x", "only ASCII"),
        ("journal_é", "only ASCII"),
        ("sales-eu", "only ASCII"),
        ("K\u212a", "only ASCII"),
        (None, "expected a string"),
    ],
    ids=[
        "empty", "too-long", "space", "backtick", "quote", "double-quote", "semicolon",
        "unicode", "hyphen", "kelvin-sign", "none",
    ],
)  # fmt: skip
def test_validate_identifier_rejects_hostile_names(name: object, fragment: str) -> None:
    with pytest.raises(TableOperationError) as caught:
        ops.validate_identifier(name, kind="schema")
    assert caught.value.code == "IDENTIFIER_INVALID"
    assert caught.value.params["kind"] == "schema"
    assert fragment in caught.value.params["reason"]


@given(st.text(max_size=200) | st.sampled_from(sorted(ops.RESERVED_WORDS)))
def test_validate_identifier_accepts_exactly_what_the_session_catalog_holds(name: str) -> None:
    safe = 0 < len(name) <= 128 and name.isascii() and all(c.isalnum() or c == "_" for c in name)
    if safe:
        assert ops.validate_identifier(name) == name
    else:
        with pytest.raises(TableOperationError) as caught:
            ops.validate_identifier(name)
        assert caught.value.code == "IDENTIFIER_INVALID"


@pytest.mark.parametrize(
    "name",
    ["sales-eu", "run log", "journal_é", "数据", "a.b", "x" * 255, "user"],
    ids=["hyphen", "space", "accent", "cjk", "dot", "max-length", "keyword"],
)
def test_validate_identifier_accepts_more_in_other_catalogs(name: str) -> None:
    assert ops.validate_identifier(name, catalog="main") == name
    assert ops.quote_identifier(name, catalog="main") == f"`{name}`"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("x" * 256, "longer than 255"),
        ("a`b", "'`' is not allowed"),
        ("a/b", "'/' is not allowed"),
        ("a\\b", "is not allowed"),
        (" lead", "space"),
        ("trail ", "space"),
        ("a\x00b", "U+0000"),
        ("a\nb", "U+000A"),
        ("evil\u202eexe", "U+202E"),
        ("zero\u200bwidth", "U+200B"),
    ],
    ids=[
        "empty", "too-long", "backtick", "slash", "backslash", "leading-space",
        "trailing-space", "nul", "newline", "rtl-override", "zero-width-space",
    ],
)  # fmt: skip
def test_validate_identifier_refuses_in_other_catalogs_what_quoting_cannot_fix(
    name: str, fragment: str
) -> None:
    with pytest.raises(TableOperationError) as caught:
        ops.validate_identifier(name, kind="schema", catalog="main")
    assert caught.value.code == "IDENTIFIER_INVALID"
    assert fragment in caught.value.params["reason"]


@pytest.mark.parametrize(
    "catalog", [None, "spark_catalog", "SPARK_CATALOG"], ids=["default", "named", "upper"]
)
def test_validate_identifier_applies_the_session_rule_to_the_session_catalog(
    catalog: str | None,
) -> None:
    with pytest.raises(TableOperationError):
        ops.validate_identifier("sales-eu", catalog=catalog)


def test_table_ref_named_and_parsed() -> None:
    ref = ops.TableRef.parse("analytics.run_log")
    assert ref == ops.TableRef.named("analytics", "run_log")
    assert (ref.fqn, ref.quoted, ref.is_path, ref.catalog) == (
        "analytics.run_log",
        "`analytics`.`run_log`",
        False,
        None,
    )


def test_table_ref_with_catalog_named_and_parsed() -> None:
    ref = ops.TableRef.parse("spark_catalog.user.run_log")
    assert ref == ops.TableRef.named("user", "run_log", catalog="spark_catalog")
    assert (ref.catalog, ref.schema, ref.name) == ("spark_catalog", "user", "run_log")
    assert (ref.fqn, ref.quoted, ref.quoted_schema) == (
        "spark_catalog.user.run_log",
        "`spark_catalog`.`user`.`run_log`",
        "`spark_catalog`.`user`",
    )


def test_table_ref_in_another_catalog_takes_its_names() -> None:
    ref = ops.TableRef.named("sales-eu", "run log", catalog="main-prod")
    assert ref.quoted == "`main-prod`.`sales-eu`.`run log`"
    with pytest.raises(TableOperationError):
        ops.TableRef.named("sales-eu", "run_log")


@pytest.mark.parametrize(
    "fqn",
    ["run_log", "a.b.c.d", "a.", ".b", "a;b.c", "a..b", "spark_catalog.sch.t;x"],
    ids=["no-schema", "four", "tail", "head", "semicolon", "empty-middle", "bad-3-part"],
)
def test_table_ref_parse_rejects_malformed(fqn: str) -> None:
    with pytest.raises(TableOperationError) as caught:
        ops.TableRef.parse(fqn)
    assert caught.value.code == "IDENTIFIER_INVALID"


def test_table_ref_at_path() -> None:
    ref = ops.TableRef.at_path("/data/logs dir/run_log")
    assert (ref.fqn, ref.quoted, ref.is_path) == (
        "/data/logs dir/run_log",
        "delta.`/data/logs dir/run_log`",
        True,
    )


@pytest.mark.parametrize(
    "path", ["", "   ", "/a/`b", "/a/\nb", 7], ids=["empty", "blank", "backtick", "newline", "int"]
)
def test_table_ref_at_path_rejects_unsafe_paths(path: object) -> None:
    with pytest.raises(TableOperationError) as caught:
        ops.TableRef.at_path(path)  # type: ignore[arg-type]
    assert caught.value.params["kind"] == "path"


@pytest.mark.parametrize(
    "text",
    [
        "An error occurred while calling o7.save.\n: io.delta.exceptions.ProtocolChangedException",
        ": io.delta.exceptions.ConcurrentTransactionException: [DELTA_CONCURRENT_TRANSACTION]",
        ": io.delta.exceptions.ConcurrentAppendException: files were added",
        "[DELTA_METADATA_CHANGED] MetadataChangedException: metadata changed",
    ],
    ids=["protocol-py4j", "transaction", "append", "condition-only"],
)
def test_is_conflict_recognises_jvm_conflicts(text: str) -> None:
    assert ops.is_conflict(RuntimeError(text))


def test_is_conflict_recognises_delta_python_classes() -> None:
    from delta.exceptions import ConcurrentAppendException

    # Built without __init__: Delta 3.x's exceptions need a running JVM to be constructed.
    assert ops.is_conflict(ConcurrentAppendException.__new__(ConcurrentAppendException))


@pytest.mark.parametrize(
    "text",
    ["[DELTA_TABLE_NOT_FOUND] missing", "io.delta.exceptions.SomethingElse", "bad value"],
    ids=["other-delta-error", "other-delta-class", "plain"],
)
def test_is_conflict_ignores_other_errors(text: str) -> None:
    assert not ops.is_conflict(RuntimeError(text))


def _no_pause(seconds: float) -> None:
    raise AssertionError(f"did not expect a retry (pause of {seconds}s)")


class _Flaky:
    """Fail with a Delta conflict ``failures`` times, then return 42."""

    def __init__(self, failures: int, error: str = "[DELTA_CONCURRENT_APPEND] x") -> None:
        self.failures = failures
        self.calls = 0
        self.error = error

    def __call__(self) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(self.error)
        return 42


def test_retry_on_conflict_retries_with_growing_pauses() -> None:
    flaky, pauses = _Flaky(3), list[float]()
    table = ops.TableRef.at_path("/t")

    result = ops.retry_on_conflict(
        flaky, name="append", table=table, max_attempts=4, backoff_secs=0.5, sleep=pauses.append
    )

    assert (result, flaky.calls, pauses) == (42, 4, [0.5, 1.0, 2.0])


def test_retry_on_conflict_gives_up_after_max_attempts() -> None:
    flaky, pauses = _Flaky(5), list[float]()

    with pytest.raises(TableOperationError) as caught:
        ops.retry_on_conflict(
            flaky,
            name="append",
            table=ops.TableRef.at_path("/t"),
            max_attempts=2,
            sleep=pauses.append,
        )

    assert caught.value.code == "TABLE_CONFLICT"
    assert caught.value.params["attempts"] == "2"
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert flaky.calls == 2


def test_retry_on_conflict_does_not_retry_other_failures() -> None:
    flaky = _Flaky(1, error="[DELTA_TABLE_NOT_FOUND] no such table")

    with pytest.raises(TableOperationError) as caught:
        ops.retry_on_conflict(
            flaky, name="append", table=ops.TableRef.at_path("/t"), sleep=_no_pause
        )

    assert caught.value.code == "TABLE_OPERATION_FAILED"
    assert caught.value.params["reason"] == "[DELTA_TABLE_NOT_FOUND] no such table"
    assert flaky.calls == 1


@pytest.mark.parametrize("attempts", [0, -1, True, 2.5], ids=["zero", "negative", "bool", "float"])
def test_retry_on_conflict_rejects_unusable_attempts_as_configuration_error(
    attempts: object,
) -> None:
    calls: list[int] = []
    with pytest.raises(ConfigurationError) as caught:
        ops.retry_on_conflict(
            lambda: calls.append(1),
            name="x",
            table=ops.TableRef.at_path("/t"),
            max_attempts=attempts,  # type: ignore[arg-type]
        )
    assert caught.value.code == "CONFIG_INVALID"
    assert caught.value.params["option"] == "max_attempts"
    assert calls == []


def test_retry_on_conflict_gives_delta_reason_when_it_gives_up() -> None:
    flaky = _Flaky(
        5,
        error="An error occurred while calling o9.save.\n"
        ": io.delta.exceptions.ConcurrentAppendException: [DELTA_CONCURRENT_APPEND] Files "
        "were added.",
    )
    with pytest.raises(TableOperationError) as caught:
        ops.retry_on_conflict(
            flaky,
            name="append",
            table=ops.TableRef.at_path("/t"),
            max_attempts=2,
            sleep=lambda _: None,
        )
    reason = caught.value.params["reason"]
    assert reason.startswith("io.delta.exceptions.ConcurrentAppendException: [DELTA_CONC")
    assert not reason.endswith(".")
    assert ".." not in str(caught.value)
