"""The docs' code blocks follow the runner's convention (tests/integration/test_docs_examples.py).

No JVM: these read the pages only. The runner itself runs every block against real Delta.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.integration.test_docs_examples import (
    CONTINUES,
    NOT_RUN,
    doc_pages,
    output_matches,
    page_name,
    python_blocks,
)

if TYPE_CHECKING:
    from pathlib import Path

#: Deliberately unrun blocks stay rare: at most this share of all Python blocks.
MAX_NOT_RUN_SHARE = 0.15


def test_docs_not_run_blocks_give_a_reason_and_are_few() -> None:
    blocks = [b for page in doc_pages() for b in python_blocks(page)]
    not_run = [b for b in blocks if b.directive == NOT_RUN]
    for block in not_run:
        assert len(block.reason) >= 10, f"{block.where}: not-run needs a reason"
    assert len(not_run) <= MAX_NOT_RUN_SHARE * len(blocks), [b.where for b in not_run]


@pytest.mark.parametrize("page", doc_pages(), ids=page_name)
def test_docs_continued_blocks_follow_a_block_of_their_page(page: Path) -> None:
    blocks = python_blocks(page)
    if blocks:
        assert blocks[0].directive != CONTINUES, f"{blocks[0].where} continues nothing"


def test_docs_readme_and_getting_started_are_complete_programs() -> None:
    for name in ("README.md", "docs/getting-started.md"):
        (page,) = [p for p in doc_pages() if page_name(p) == name]
        blocks = python_blocks(page)
        assert blocks, f"{name} has no Python example"
        assert blocks[0].directive is None, f"{name}: its first block must run on its own"
        assert "configure_spark_with_delta_pip" in blocks[0].code, name


def test_docs_output_blocks_are_compared(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nprint('run 1 took 2.5 s')\n```\n\n"
        "<!-- output -->\n```text\nrun 1 took ... s\n```\n"
        "\n<!-- not-run: a signature, shown for reading -->\n```python\nf(x)\n```\n"
        "\n<!-- continues -->\n```python\nprint(2)\n```\n",
        encoding="utf-8",
    )
    first, second, third = python_blocks(page)
    assert first.output == "run 1 took ... s\n"
    assert (second.directive, second.reason) == (NOT_RUN, "a signature, shown for reading")
    assert (third.directive, third.output) == (CONTINUES, None)


@pytest.mark.parametrize(
    ("shown", "printed", "matches"),
    [
        ("3 runs\n", "3 runs\n", True),
        ("3 runs\n", "4 runs\n", False),
        ("run ... took ... s", "run 9f2c took 1.25 s", True),
        ("a\n...\nz", "a\nb\nc\nz\n", True),
        ("a  \nb", "a\nb   \n", True),
        ("", "something", False),
        ("", "", True),
    ],
    ids=[
        "equal",
        "different",
        "ellipsis",
        "ellipsis-lines",
        "trailing-space",
        "empty-vs-text",
        "empty",
    ],
)
def test_docs_output_matches(shown: str, printed: str, matches: bool) -> None:
    assert output_matches(shown, printed) is matches


def test_docs_output_block_without_code_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("<!-- output -->\n```text\n1\n```\n", encoding="utf-8")
    with pytest.raises(ValueError, match="must follow a Python block"):
        python_blocks(page)
