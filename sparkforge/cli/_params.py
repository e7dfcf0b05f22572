"""The options every command shares, one decorator each (the dbt-core ``params.py`` way).

`log_command` gives a command the options that say which log to read and how to reach
Spark, ``--format`` and ``--debug``; it hands the command an `Invocation` holding them
and turns every sparkforge error into one line on stderr and exit code 2.
"""

from __future__ import annotations

import functools
import sys
import traceback
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Literal, cast

import click
from click.core import ParameterSource

from sparkforge.cli._duration import parse_duration, parse_instant
from sparkforge.cli._session import SessionOptions
from sparkforge.cli._target import LogTarget
from sparkforge.errors import ConfigurationError, SparkForgeError

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

    from sparkforge.writer import LogWriter

__all__ = [
    "DURATION",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_CODES",
    "INSTANT",
    "Invocation",
    "log_command",
    "pipeline_option",
    "window_options",
]

#: All went well and nothing was found.
EXIT_OK = 0
#: The command found something: anomalies, failed quality checks, late pipelines, regressions.
EXIT_FINDINGS = 1
#: Bad usage or input (unknown table, bad option value, unreadable path), or a failure.
EXIT_USAGE = 2

#: Each exit code and what it means, for the help texts and docs/cli.md.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success; nothing was found that needs attention"),
    (
        EXIT_FINDINGS,
        "the command found something: anomalies or late pipelines (anomalies), failed "
        "checks (quality), regressed series (trends)",
    ),
    (
        EXIT_USAGE,
        "bad usage or input (unknown table, bad option value, bad duration, unreadable "
        "path), a session that cannot start, a failed webhook, or any other error: one line "
        "on stderr (the traceback with --debug)",
    ),
)

OutputFormat = Literal["table", "json"]

if TYPE_CHECKING:
    # click 8.2+ makes ParamType generic in the value it converts to; older clicks do not.
    _DurationParam = click.ParamType[timedelta]
    _InstantParam = click.ParamType[datetime]
    _KeyValueParam = click.ParamType[tuple[str, str]]
else:
    _DurationParam = _InstantParam = _KeyValueParam = click.ParamType


class DurationType(_DurationParam):
    """A duration such as ``90d``, ``12h``, ``30m``, ``2w`` (see `parse_duration`)."""

    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        """Return the ``timedelta``, or fail with the parser's reason."""
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(str(value))
        except ConfigurationError as exc:
            self.fail(exc.params["reason"], param, ctx)


class InstantType(_InstantParam):
    """An ISO 8601 instant (UTC when it has no offset), or a duration back from now."""

    name = "instant"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        """Return the UTC-aware instant, or fail with the parser's reason."""
        if isinstance(value, datetime):
            return value
        text = str(value)
        try:
            return parse_instant(text)
        except ConfigurationError as exc:
            reason = exc.params["reason"]
        try:
            return datetime.now(timezone.utc) - parse_duration(text)
        except ConfigurationError:
            self.fail(f"{reason}, or a duration back from now such as 7d", param, ctx)


class KeyValueType(_KeyValueParam):
    """A Spark setting ``key=value``."""

    name = "key=value"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, str]:
        """Return ``(key, value)``, or fail when there is no ``=`` or no key."""
        if isinstance(value, tuple):
            return cast("tuple[str, str]", value)
        key, sep, setting = str(value).partition("=")
        if not sep or not key.strip():
            self.fail(f"expected key=value, got {value!r}", param, ctx)
        return key.strip(), setting


DURATION = DurationType()
INSTANT = InstantType()
KEY_VALUE = KeyValueType()


class Invocation:
    """What one command was asked: the log, the session, the output format.

    The session is built on first use, after every option was checked, so bad usage never
    waits for a JVM.
    """

    def __init__(
        self,
        *,
        target: LogTarget,
        session: SessionOptions,
        output: OutputFormat,
        debug: bool,
        spark: SparkSession | None = None,
    ) -> None:
        self.target = target
        self.spark = spark
        self.session = session
        self.output = output
        self.debug = debug
        self._writer: LogWriter | None = None

    def writer(self) -> LogWriter:
        """Return the log's writer, starting the session the first time."""
        if self._writer is None:
            from sparkforge.cli._session import build_session
            from sparkforge.writer import LogWriter

            config = self.target.config()
            if self.spark is not None:
                self._writer = LogWriter(self.spark, config)
            else:
                self.target.check_exists(remote=self.session.remote is not None)
                self._writer = LogWriter(build_session(self.session), config)
        return self._writer


def _target_from(ctx: click.Context, table: str | None, path: str | None) -> LogTarget:
    """Return the log named by ``--table``/``--path`` (an option beats an environment value)."""
    if table is not None and path is not None:
        table_src = ctx.get_parameter_source("table")
        path_src = ctx.get_parameter_source("path")
        if table_src == path_src:
            raise click.UsageError("give --table or --path, not both")
        if table_src == ParameterSource.ENVIRONMENT:
            table = None
        else:
            path = None
    if table is None and path is None:
        raise click.UsageError(
            "say which log to read: --table SCHEMA.TABLE or --path PATH "
            "(or set SPARKFORGE_TABLE or SPARKFORGE_PATH)"
        )
    return LogTarget(table=table, path=path)


def log_command(
    *, output_flag: str = "--format"
) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Give a command the shared options and pass it an `Invocation` first.

    Parameters
    ----------
    output_flag
        The spelling of the output-format option (``export`` uses ``--output-format``, its
        ``--format`` being the files' format).
    """

    def decorate(command: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(command)
        def run(
            *,
            table: str | None,
            path: str | None,
            master: str | None,
            conf: tuple[tuple[str, str], ...],
            warehouse: str | None,
            remote: str | None,
            output_format: OutputFormat,
            debug: bool,
            **kwargs: object,
        ) -> int:
            ctx = click.get_current_context()
            invocation = Invocation(
                target=_target_from(ctx, table, path),
                session=SessionOptions(
                    master=master, conf=dict(conf), warehouse=warehouse, remote=remote
                ),
                output=output_format,
                debug=debug,
                spark=_given_session(ctx),
            )
            try:
                return command(invocation, **kwargs)
            except SparkForgeError as exc:
                return _fail(str(exc), debug=debug)
            except Exception as exc:
                from sparkforge.table_operations import failure_reason

                return _fail(f"unexpected {type(exc).__name__}: {failure_reason(exc)}", debug=debug)

        options = [
            click.option(
                "--table",
                envvar="SPARKFORGE_TABLE",
                metavar="[CATALOG.]SCHEMA.TABLE",
                help="The log table in the catalog (env SPARKFORGE_TABLE).",
            ),
            click.option(
                "--path",
                envvar="SPARKFORGE_PATH",
                metavar="PATH",
                help="The log as a path-based Delta table (env SPARKFORGE_PATH).",
            ),
            click.option(
                "--master",
                metavar="URL",
                help="Spark master of the local session (default local[*]).",
            ),
            click.option(
                "--conf",
                "conf",
                type=KEY_VALUE,
                multiple=True,
                help="A Spark setting key=value (repeatable), e.g. spark.jars=a.jar,b.jar.",
            ),
            click.option(
                "--warehouse",
                metavar="DIR",
                help="A local session whose warehouse is DIR/warehouse and Derby metastore "
                "DIR/metastore_db (the layout of `make demo`).",
            ),
            click.option(
                "--remote",
                envvar="SPARK_REMOTE",
                metavar="sc://HOST:PORT",
                help="Use a Spark Connect server (env SPARK_REMOTE).",
            ),
            click.option(
                output_flag,
                "output_format",
                type=click.Choice(["table", "json"]),
                default="table",
                show_default=True,
                help="Output: a table for people, or one JSON document for machines.",
            ),
            click.option(
                "--debug", is_flag=True, help="Show the full traceback of an error on stderr."
            ),
        ]
        wrapped: Callable[..., int] = run
        for option in reversed(options):
            wrapped = option(wrapped)
        return wrapped

    return decorate


def _given_session(ctx: click.Context) -> SparkSession | None:
    """Return the session ``main(..., spark=...)`` was given, if any."""
    obj = ctx.find_root().obj
    spark = obj.get("spark") if isinstance(obj, dict) else None
    return cast("SparkSession | None", spark)


def _fail(message: str, *, debug: bool) -> int:
    if debug:
        traceback.print_exc(file=sys.stderr)
    click.echo("Error: " + " ".join(message.split()), err=True)
    return EXIT_USAGE


def pipeline_option(command: Callable[..., int]) -> Callable[..., int]:
    """Add ``--pipeline NAME`` (repeatable): only these pipelines."""
    return click.option(
        "--pipeline",
        "pipeline_name",
        multiple=True,
        metavar="NAME",
        help="Only this pipeline (repeatable).",
    )(command)


def window_options(command: Callable[..., int]) -> Callable[..., int]:
    """Add ``--since`` and ``--until``: only runs started in ``[since, until)``."""
    command = click.option(
        "--until",
        type=INSTANT,
        help="Only runs started before this ISO 8601 instant (UTC without an offset).",
    )(command)
    return click.option(
        "--since",
        type=INSTANT,
        help="Only runs started at or after this ISO 8601 instant, or this long ago (7d).",
    )(command)


def names(values: tuple[str, ...]) -> tuple[str, ...] | None:
    """Return a repeatable option's values, or None when it was not given (no filter)."""
    return values or None
