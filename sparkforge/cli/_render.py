"""How the command line shows results: rich tables for people, one JSON document for machines.

Every command hands `emit` the result's JSON-safe data (``to_dict()``) and a function
drawing it as tables; nothing here computes a figure, it only formats those it is given.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from contextlib import nullcontext
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from sparkforge._result import json_safe

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from contextlib import AbstractContextManager

__all__ = [
    "cell",
    "data_of",
    "emit",
    "fields_table",
    "records_table",
    "stdout_console",
    "working",
]

#: Width of tables written to a file or a pipe (a terminal uses its own width).
PIPE_WIDTH = 200


def stdout_console() -> Console:
    """Return the console of the output: the terminal's width, or a wide one for pipes."""
    if sys.stdout.isatty():
        return Console()
    return Console(width=PIPE_WIDTH, no_color=True, highlight=False)


def data_of(result: object) -> dict[str, object]:
    """Return a result as JSON-safe data: its ``to_dict()``, or its fields when it has none."""
    to_dict = getattr(result, "to_dict", None)
    data = to_dict() if callable(to_dict) else json_safe(result)
    if not isinstance(data, dict):
        raise TypeError(f"expected a result with fields, got {type(result).__name__}")
    return data


def emit(output: str, data: Mapping[str, object], draw: Callable[[Console], None]) -> None:
    """Write ``data`` as one JSON document (``output == "json"``), or draw it as tables."""
    if output == "json":
        sys.stdout.write(json.dumps(data, indent=2, allow_nan=False, sort_keys=False) + "\n")
        sys.stdout.flush()
        return
    draw(stdout_console())


def cell(value: object) -> str:
    """Format one value for a table: instants in UTC, counts with separators, None as ``-``.

    Examples
    --------
    >>> cell(None), cell(1234567), cell(2.0 / 3), cell(True), cell(("a", "b"))
    ('-', '1,234,567', '0.667', 'yes', 'a, b')
    >>> cell(datetime(2026, 3, 12, 6, 0, tzinfo=timezone.utc))
    '2026-03-12 06:00:00Z'
    >>> cell("2026-03-12T11:30:00+05:30")
    '2026-03-12 06:00:00Z'
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.1f}"
    if isinstance(value, datetime):
        moment = value.astimezone(timezone.utc) if value.utcoffset() is not None else value
        return moment.strftime("%Y-%m-%d %H:%M:%S") + ("Z" if value.utcoffset() is not None else "")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _instant_text(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(item) for item in value) or "-"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items()) or "-"
    return str(value)


def _instant_text(text: str) -> str:
    # JSON-safe data carries instants as ISO 8601 text with an offset; show them in UTC.
    if len(text) >= 19 and text[4] == "-" and text[10] == "T" and text[-6] in "+-":
        try:
            return cell(datetime.fromisoformat(text))
        except ValueError:
            return text
    return text


def records_table(
    title: str | None,
    records: Sequence[Mapping[str, object]],
    columns: Sequence[tuple[str, str]],
    *,
    empty: str = "nothing to show",
) -> Table | str:
    """Return a table of ``records``, one row each, with ``(key, heading)`` columns."""
    if not records:
        return f"{title}: {empty}" if title else empty
    table = Table(title=title, title_justify="left", show_lines=False)
    for key, heading in columns:
        numeric = any(isinstance(r.get(key), (int, float)) for r in records)
        table.add_column(heading, justify="right" if numeric else "left", overflow="fold")
    for record in records:
        table.add_row(*(cell(record.get(key)) for key, _ in columns))
    return table


def fields_table(title: str, data: Mapping[str, object]) -> Table:
    """Return a two-column table of a result's fields and their values."""
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in data.items():
        table.add_row(key, cell(value))
    return table


def working(message: str) -> AbstractContextManager[object]:
    """Show a spinner with ``message`` on stderr while a long operation runs, on a terminal.

    Nothing is shown when stderr is not a terminal (a pipe, a log file, a CI job).
    """
    console = Console(stderr=True)
    if not console.is_terminal:
        return nullcontext()
    return console.status(message, spinner="dots")
