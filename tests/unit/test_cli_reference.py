"""docs/cli.md is generated from the command line and must not drift from it."""

from __future__ import annotations

from pathlib import Path

import click

from sparkforge.cli import EXIT_CODES, cli
from sparkforge.cli._reference import reference

_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_matches_the_committed_page() -> None:
    assert _DOC.read_text(encoding="utf-8") == reference(), (
        "docs/cli.md is stale: run `.venv/bin/python -m sparkforge.cli._reference > docs/cli.md`"
    )


def test_cli_reference_has_every_command_option_and_exit_code() -> None:
    page = reference()
    for name, command in cli.commands.items():
        assert f"## `sparkforge {name}`" in page
        for param in command.params:
            if isinstance(param, click.Option):
                for flag in param.opts:
                    assert flag in page, (name, flag)
    for code, meaning in EXIT_CODES:
        assert f"| {code} | {meaning} |" in page
