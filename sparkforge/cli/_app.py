"""The ``sparkforge`` command group and its entry point, `main`."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import click

from sparkforge._version import __version__
from sparkforge.cli._params import EXIT_CODES, EXIT_USAGE
from sparkforge.cli._questions import QUESTION_COMMANDS
from sparkforge.cli._upkeep import UPKEEP_COMMANDS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import SparkSession

__all__ = ["cli", "main"]

_EPILOG = "Exit codes: " + "; ".join(f"{code} = {meaning}" for code, meaning in EXIT_CODES) + "."


@click.group(
    "sparkforge",
    epilog=_EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="sparkforge")
def cli() -> None:
    """Ask a sparkforge run log questions and look after it, from the command line.

    Every command reads one log: --table [CATALOG.]SCHEMA.TABLE or --path PATH (or the
    environment variables SPARKFORGE_TABLE / SPARKFORGE_PATH). Spark is a local session with
    Delta Lake (--master, --conf, --warehouse), or a Spark Connect server (--remote or
    SPARK_REMOTE). Output goes to stdout, as tables or, with --format json, as one JSON
    document; diagnostics go to stderr.
    """


for _command in (*QUESTION_COMMANDS, *UPKEEP_COMMANDS):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None, *, spark: SparkSession | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Parameters
    ----------
    argv
        The arguments, without the program name.
    spark
        A session to run on (an application or a notebook that has one); the command line
        then builds none, and ``--master/--conf/--warehouse/--remote`` are not used.

    Usage errors (an unknown option, a bad value) are one line on stderr and exit code 2;
    each command turns sparkforge errors into the same (see ``--debug``).

    Examples
    --------
    >>> main(["--version"])  # doctest: +ELLIPSIS
    sparkforge, version ...
    0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    # PySpark logs each failed query as a JSON line on stderr; the command's one error line
    # says it already (and --debug shows the traceback).
    logging.getLogger("DataFrameQueryContextLogger").setLevel(logging.CRITICAL)
    try:
        code = cli.main(args, prog_name="sparkforge", standalone_mode=False, obj={"spark": spark})
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        click.echo("Error: " + " ".join(exc.format_message().split()), err=True)
        return EXIT_USAGE if exc.exit_code != 0 else 0
    if isinstance(code, int):
        return code
    return 0
