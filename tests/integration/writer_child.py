"""A separate process that writes runs to a log table: the concurrency tests start several.

Usage: ``python -m tests.integration.writer_child TABLE_PATH WORK_DIR FIRST COUNT START_AT``
writes runs FIRST .. FIRST+COUNT-1 (deterministic run ids) one ``write_report`` each, after
waiting until the epoch time START_AT so that all children start writing together.
"""

from __future__ import annotations

import sys
import time
import uuid

from examples.local_spark import local_delta_session
from sparkforge.writer import LogWriter, WriterConfig
from tests.factories import make_report

#: Namespace of the deterministic run ids the children write.
RUN_NAMESPACE = uuid.UUID("6f1c2d4e-8a7b-4c3d-9e0f-1a2b3c4d5e6f")


def run_id(number: int) -> str:
    """Return the run id of run ``number``."""
    return str(uuid.uuid5(RUN_NAMESPACE, f"run-{number}"))


def main(argv: list[str]) -> int:
    """Write the runs given on the command line; print one line per outcome."""
    table_path, work_dir, first, count, start_at = argv
    spark = local_delta_session("sparkforge-writer-child", work_dir=work_dir, master="local[1]")
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    while time.time() < float(start_at):
        time.sleep(0.01)
    for number in range(int(first), int(first) + int(count)):
        result = writer.write_report(make_report(3, run_id=run_id(number)))
        sys.stdout.write(f"{'skipped' if result.skipped else 'written'} {result.run_id}\n")
        sys.stdout.flush()
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
