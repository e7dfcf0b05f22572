"""Schema, table and column names: which are safe, and how they are quoted for Spark SQL."""

from __future__ import annotations

import re

from sparkforge.errors import TableOperationError

__all__ = ["identifier_error", "quote_identifier", "RESERVED_WORDS", "validate_identifier"]

#: Words rejected as schema or table names even though quoting would allow them: a log or
#: pipeline table named ``select`` or ``drop`` is a mistake or an attack, never an intent.
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

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_IDENTIFIER_LENGTH = 128


def identifier_error(kind: str, name: object, reason: str) -> TableOperationError:
    """Return ``IDENTIFIER_INVALID`` for ``name`` (shown safely, whatever it is)."""
    # Never str() an arbitrary object here: a huge int refuses to become text (ValueError).
    shown = name if isinstance(name, str) else f"<{type(name).__name__}>"
    if len(shown) > 200:
        shown = shown[:197] + "..."
    return TableOperationError(
        "IDENTIFIER_INVALID", {"kind": kind, "name": shown, "reason": reason}
    )


def validate_identifier(name: object, *, kind: str = "table") -> str:
    """Return ``name`` if it is a safe schema, table or column name; raise otherwise.

    A safe name is 1-128 ASCII letters, digits and underscores, does not start with a digit,
    and is not a reserved SQL word.

    Parameters
    ----------
    name
        The name to check.
    kind
        What the name names, for the error message (``"schema"``, ``"table"`` ...).

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
    >>> validate_identifier("pipeline_logs")
    'pipeline_logs'
    >>> validate_identifier("logs; DROP TABLE x")
    Traceback (most recent call last):
    ...
    sparkforge.errors.TableOperationError: [IDENTIFIER_INVALID] Invalid table name \
'logs; DROP TABLE x': only ASCII letters, digits and _ are allowed, not a digit first.
    """
    if not isinstance(name, str):
        raise identifier_error(kind, name, f"expected a string, got {type(name).__name__}")
    if not name:
        raise identifier_error(kind, name, "it is empty")
    if len(name) > _MAX_IDENTIFIER_LENGTH:
        raise identifier_error(kind, name, f"longer than {_MAX_IDENTIFIER_LENGTH} characters")
    if not _IDENTIFIER.fullmatch(name):
        raise identifier_error(
            kind, name, "only ASCII letters, digits and _ are allowed, not a digit first"
        )
    if name.lower() in RESERVED_WORDS:
        raise identifier_error(kind, name, "it is a reserved SQL word")
    return name


def quote_identifier(name: str, *, kind: str = "table") -> str:
    """Validate ``name`` and return it quoted for Spark SQL.

    Examples
    --------
    >>> quote_identifier("logs")
    '`logs`'
    """
    return f"`{validate_identifier(name, kind=kind)}`"
