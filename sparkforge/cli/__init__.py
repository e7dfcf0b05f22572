"""The ``sparkforge`` command line: the run log's questions and upkeep from a shell.

A thin layer over [`sparkforge.writer.LogWriter`][]: each command parses its options,
builds the one SparkSession the package ever builds (``sparkforge.cli._session``), calls one
library function and renders its result (rich tables, or JSON with ``--format json``).
docs/cli.md is generated from these commands by ``python -m sparkforge.cli._reference``.

Examples
--------
>>> from sparkforge.cli import cli
>>> sorted(cli.commands)[:3]
['anomalies', 'export', 'history']
"""

from __future__ import annotations

from sparkforge.cli._app import cli, main
from sparkforge.cli._params import EXIT_CODES, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

__all__ = ["cli", "EXIT_CODES", "EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "main"]
