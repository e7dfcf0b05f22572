"""The guides' complete examples run as written: analytics, then maintenance, then export.

Each guide marks its runnable block with ``<!-- runs in tests/integration/test_docs_examples.py
-->`` right before the code fence; the three run in order in one namespace (the later pages
continue from the analytics page's ``writer``), against the test session's real Delta.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.delta

DOCS = Path(__file__).resolve().parents[2] / "docs"
MARK = "<!-- runs in tests/integration/test_docs_examples.py -->"
_BLOCK = re.compile(re.escape(MARK) + r"\n```python\n(.*?)\n```", re.S)


def examples(page: str) -> list[str]:
    """Return the marked Python blocks of a docs page."""
    return _BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))


def test_every_guide_has_one_runnable_example() -> None:
    for page in ("analytics.md", "maintenance.md", "export.md"):
        assert len(examples(page)) == 1, page


def test_the_guides_examples_run(spark: SparkSession, tmp_path: Path) -> None:
    spark.sql("DROP DATABASE IF EXISTS docs_shop CASCADE")
    namespace: dict[str, object] = {
        "spark": spark,
        "log_path": str(tmp_path / "log"),
        "export_dir": str(tmp_path / "export"),
    }
    # The session's own listing parallelism (10,000 tasks by default) makes VACUUM crawl on
    # local[2]; a user's cluster sets its own (see docs/maintenance.md).
    key = "spark.sql.sources.parallelPartitionDiscovery.parallelism"
    before = spark.conf.get(key, "10000")
    spark.conf.set(key, "2")
    try:
        for page in ("analytics.md", "maintenance.md", "export.md"):
            (code,) = examples(page)
            exec(compile(code, f"docs/{page}", "exec"), namespace)
    finally:
        spark.conf.set(key, before or "10000")
        spark.sql("DROP DATABASE IF EXISTS docs_shop CASCADE")
