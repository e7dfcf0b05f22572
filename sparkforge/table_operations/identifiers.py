"""Catalog, schema, table and column names: which are usable, and their quoting for Spark SQL.

What is refused is what no quoting makes usable, as found on real Spark 4.0 and its Hive
metastore:

- Spark's session catalog (``spark_catalog``, Hive metastore or in-memory) stores only names
  of ASCII letters, digits and ``_`` (``INVALID_SCHEMA_OR_RELATION_NAME`` otherwise, for
  hyphens, spaces and non-ASCII letters alike), of at most 128 characters (the metastore's
  column width). Within that, a digit first and SQL keywords (``user``, ``select``) are fine
  once quoted, and every name sparkforge puts into SQL or a catalog API is quoted.
- Other catalogs (Unity Catalog ...) take more: there a name may hold hyphens, spaces and
  non-ASCII letters; refused stay the empty name, control and invisible formatting
  characters, path separators (the name becomes a directory), leading or trailing spaces,
  more than 255 characters, and backticks (Spark's catalog API misparses a doubled backtick).
"""

from __future__ import annotations

import re
import unicodedata

from sparkforge.errors import TableOperationError

__all__ = [
    "identifier_error",
    "is_session_catalog",
    "quote_identifier",
    "RESERVED_WORDS",
    "SESSION_CATALOG",
    "validate_identifier",
]

#: The name of Spark's built-in session catalog.
SESSION_CATALOG = "spark_catalog"

#: SQL keywords. They are usable as quoted names and no longer refused; kept for callers that
#: want to warn about them.
# fmt: off
RESERVED_WORDS: frozenset[str] = frozenset({
    "all", "alter", "and", "any", "as", "authorization", "between", "both", "by", "case",
    "cast", "check", "collate", "column", "constraint", "create", "cross", "current_date",
    "current_time", "current_timestamp", "current_user", "delete", "describe", "distinct",
    "drop", "else", "end", "escape", "except", "exists", "false", "fetch", "filter", "for",
    "foreign", "from", "full", "grant", "group", "having", "in", "inner", "insert",
    "intersect", "into", "is", "join", "lateral", "leading", "left", "like", "merge",
    "natural", "not", "null", "offset", "on", "only", "or", "order", "outer", "overlaps",
    "primary", "references", "revoke", "right", "select", "session_user", "some", "table",
    "then", "time", "to", "trailing", "truncate", "true", "union", "unique", "unknown",
    "update", "user", "using", "values", "when", "where", "with",
})
# fmt: on

_SESSION_NAME = re.compile(r"[A-Za-z0-9_]+")
_MAX_SESSION_LENGTH = 128
_MAX_OTHER_LENGTH = 255
_OTHER_FORBIDDEN = frozenset("`/\\")


def identifier_error(kind: str, name: object, reason: str) -> TableOperationError:
    """Return ``IDENTIFIER_INVALID`` for ``name`` (shown safely, whatever it is).

    Examples
    --------
    >>> identifier_error("table", 7, "expected a string").params["name"]
    '<int>'
    """
    # Never str() an arbitrary object here: a huge int refuses to become text (ValueError).
    shown = name if isinstance(name, str) else f"<{type(name).__name__}>"
    if len(shown) > 200:
        shown = shown[:197] + "..."
    return TableOperationError(
        "IDENTIFIER_INVALID", {"kind": kind, "name": shown, "reason": reason}
    )


def is_session_catalog(catalog: str | None) -> bool:
    """Return whether ``catalog`` is Spark's session catalog (None: the default one).

    Examples
    --------
    >>> is_session_catalog(None), is_session_catalog("SPARK_CATALOG"), is_session_catalog("main")
    (True, True, False)
    """
    return catalog is None or catalog.lower() == SESSION_CATALOG


def _other_catalog_problem(name: str) -> str | None:
    if len(name) > _MAX_OTHER_LENGTH:
        return f"longer than {_MAX_OTHER_LENGTH} characters"
    if name != name.strip():
        return "it starts or ends with a space"
    for char in name:
        if char in _OTHER_FORBIDDEN:
            return f"{char!r} is not allowed"
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            return f"control or invisible character U+{ord(char):04X} is not allowed"
    return None


def validate_identifier(name: object, *, kind: str = "table", catalog: str | None = None) -> str:
    """Return ``name`` if it is a usable catalog, schema, table or column name; raise otherwise.

    In Spark's session catalog (``catalog`` None or ``"spark_catalog"``) a usable name is
    1-128 ASCII letters, digits and underscores, in any order; SQL keywords are fine (names
    are always quoted). In another catalog, see the module notes.

    Parameters
    ----------
    name
        The name to check.
    kind
        What the name names, for the error message (``"schema"``, ``"table"`` ...).
    catalog
        The catalog the name lives in, which decides the rule.

    Returns
    -------
    str
        ``name``, unchanged.

    Raises
    ------
    TableOperationError
        ``IDENTIFIER_INVALID``, saying what is wrong with the name.

    Examples
    --------
    >>> validate_identifier("user", kind="schema")
    'user'
    >>> validate_identifier("sales-eu", catalog="main")
    'sales-eu'
    >>> validate_identifier("logs; DROP TABLE x")
    Traceback (most recent call last):
    ...
    sparkforge.errors.TableOperationError: [IDENTIFIER_INVALID] Invalid table name \
'logs; DROP TABLE x': Spark's session catalog takes only ASCII letters, digits and _.
    """
    if not isinstance(name, str):
        raise identifier_error(kind, name, f"expected a string, got {type(name).__name__}")
    if not name:
        raise identifier_error(kind, name, "it is empty")
    if not is_session_catalog(catalog):
        problem = _other_catalog_problem(name)
        if problem is not None:
            raise identifier_error(kind, name, problem)
        return name
    if len(name) > _MAX_SESSION_LENGTH:
        raise identifier_error(kind, name, f"longer than {_MAX_SESSION_LENGTH} characters")
    if not _SESSION_NAME.fullmatch(name):
        raise identifier_error(
            kind, name, "Spark's session catalog takes only ASCII letters, digits and _"
        )
    return name


def quote_identifier(name: str, *, kind: str = "table", catalog: str | None = None) -> str:
    """Validate ``name`` and return it quoted for Spark SQL.

    ``name`` is checked as [`validate_identifier`][sparkforge.table_operations.validate_identifier]
    checks it.

    Examples
    --------
    >>> quote_identifier("logs")
    '`logs`'
    >>> quote_identifier("user", kind="schema")
    '`user`'
    """
    return f"`{validate_identifier(name, kind=kind, catalog=catalog)}`"
