"""Every Python example in ``docs/*.md`` and ``README.md`` runs, against real Spark + Delta.

The collector below finds every fenced ``python`` block of every page (pages added later are
picked up automatically) and runs it. The one convention, written as an HTML comment on the
last non-blank line before a block's fence:

- no comment: the block is a complete program. It runs in a fresh namespace holding only what
  a reader is told to bring: ``spark`` (the suite's session, with Delta), and fresh paths
  ``workdir``, ``log_path`` and ``export_dir`` (nothing exists there yet).
- ``<!-- continues -->``: the block continues the previous block of the same page and runs in
  that block's namespace (it may use every name the earlier block defined).
- ``<!-- not-run: reason -->``: the block is deliberately not run (a signature, a sketch of
  code that needs a cluster); the reason is required and such blocks must stay few
  (``tests/unit/test_docs_examples_markup.py``).
- ``<!-- output -->`` before a ``text`` block: that block is what the previous Python block
  prints, compared with what it really prints; ``...`` in it matches any text (run ids,
  instants, durations).

A complete block runs with its fresh directory as the working directory. Each page runs in one
test (its blocks in order, every failing block reported with its line); catalog databases a
page creates are dropped after it.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import SparkSession

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

#: The directives a block may carry; anything else in a comment is prose for the reader.
CONTINUES = "continues"
NOT_RUN = "not-run"
OUTPUT = "output"

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[^\n`]*$")
_DIRECTIVE = re.compile(
    r"^\s*<!--\s*(?P<name>continues|not-run|output)\s*(?::(?P<arg>.*?))?-->\s*$"
)


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page, with its directive and the output it shows."""

    page: str
    line: int  # 1-based line of the block's first code line
    lang: str
    code: str
    directive: str | None
    reason: str
    output: str | None = None

    @property
    def where(self) -> str:
        """Return ``page:line`` for messages."""
        return f"{self.page}:{self.line}"


def doc_pages() -> list[Path]:
    """Return every Markdown page whose examples run: ``docs/**/*.md`` and ``README.md``."""
    return [*sorted(DOCS.rglob("*.md")), ROOT / "README.md"]


def page_name(path: Path) -> str:
    """Return a page's path relative to the repository root (as given when outside it)."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def _fences(text: str, page: str) -> Iterator[Block]:
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opened = _FENCE_OPEN.match(lines[i])
        if not opened:
            i += 1
            continue
        indent, lang = opened["indent"], opened["lang"]
        start = i + 1
        end = start
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        body = [ln[len(indent) :] if ln.startswith(indent) else ln for ln in lines[start:end]]
        before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        found = _DIRECTIVE.match(before)
        yield Block(
            page=page,
            line=start + 1,
            lang=lang,
            code="\n".join(body) + "\n",
            directive=found["name"] if found else None,
            reason=(found["arg"] or "").strip() if found else "",
        )
        i = end + 1


def python_blocks(path: Path) -> list[Block]:
    """Return a page's Python blocks, each with the ``<!-- output -->`` block that follows it."""
    blocks: list[Block] = []
    for block in _fences(path.read_text(encoding="utf-8"), page_name(path)):
        if block.lang == "python":
            blocks.append(block)
        elif block.directive == OUTPUT:
            if not blocks or blocks[-1].output is not None:
                msg = f"{block.where}: an output block must follow a Python block"
                raise ValueError(msg)
            last = blocks[-1]
            blocks[-1] = Block(
                page=last.page,
                line=last.line,
                lang=last.lang,
                code=last.code,
                directive=last.directive,
                reason=last.reason,
                output=block.code,
            )
    return blocks


def output_matches(expected: str, actual: str) -> bool:
    """Tell whether printed text matches a page's output block (``...`` matches any text)."""

    def norm(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())

    pattern = ".*?".join(re.escape(part) for part in norm(expected).split("..."))
    return re.fullmatch(pattern, norm(actual), re.S) is not None


def _pages_with_code() -> list[Path]:
    return [p for p in doc_pages() if python_blocks(p)]


@pytest.fixture(scope="module")
def docs_spark(spark: SparkSession) -> Iterator[SparkSession]:
    """Yield the suite's session with a listing parallelism a laptop's VACUUM can live with."""
    # The session's own listing parallelism (10,000 tasks by default) makes VACUUM crawl on
    # local[2]; a user's cluster sets its own (see docs/maintenance.md).
    key = "spark.sql.sources.parallelPartitionDiscovery.parallelism"
    before = spark.conf.get(key, "10000")
    spark.conf.set(key, "2")
    yield spark
    spark.conf.set(key, before or "10000")


def _databases(spark: SparkSession) -> set[str]:
    return {row[0] for row in spark.sql("SHOW DATABASES").collect()}


def _run(block: Block, namespace: dict[str, object]) -> str | None:
    """Run one block; return what went wrong, or None."""
    # Pad so that tracebacks give the block's line numbers in the Markdown page.
    source = "\n" * (block.line - 1) + block.code
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), warnings.catch_warnings():
            # A page may show a deprecated call on purpose (the legacy API); its warning is
            # what a reader sees, not a failure of the example.
            warnings.simplefilter("default")
            exec(compile(source, str(ROOT / block.page), "exec"), namespace)
    except Exception as exc:
        return f"{block.where}: {type(exc).__name__}: {exc}"
    if block.output is not None and not output_matches(block.output, printed.getvalue()):
        return (
            f"{block.where}: prints something else than its output block.\n"
            f"--- shown:\n{block.output}--- printed:\n{printed.getvalue()}"
        )
    return None


@pytest.mark.delta
@pytest.mark.parametrize("path", _pages_with_code(), ids=page_name)
def test_docs_page_examples_run(
    docs_spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: Path
) -> None:
    spark = docs_spark
    before = _databases(spark)
    failures: list[str] = []
    namespace: dict[str, object] = {}
    try:
        for number, block in enumerate(python_blocks(path)):
            if block.directive == NOT_RUN:
                continue
            if block.directive != CONTINUES:
                workdir = tmp_path / f"block{number}"
                workdir.mkdir()
                # A complete program may write relative paths: they land in its own directory.
                monkeypatch.chdir(workdir)
                namespace = {
                    "__name__": "__main__",
                    "spark": spark,
                    "workdir": str(workdir),
                    "log_path": str(workdir / "log"),
                    "export_dir": str(workdir / "export"),
                }
            failure = _run(block, namespace)
            if failure:
                failures.append(failure)
    finally:
        for name in _databases(spark) - before:
            spark.sql(f"DROP DATABASE IF EXISTS `{name}` CASCADE")
    assert not failures, "\n\n".join(failures)
