"""Write the Connect console-script tests' two logs on a Spark Connect session.

Run as a child process (``python -m tests.cli.connect_logs sc://HOST:PORT SHARED UPKEEP``):
PySpark refuses a Connect session beside the suite's classic one and, once it has built one,
marks the whole process as a Connect client. Prints one line, ``FACTS <json>``, with the runs
each log holds.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta

from sparkforge.writer import LogWriter, WriterConfig
from tests.cli.conftest import billing_runs
from tests.factories import BASE_TIME, make_report
from tests.remote_support import orders_report

#: Daily ``orders`` runs: days 0 to 8 write 90 rows a step, day 9 writes 9000.
ORDERS_DAYS = 10
#: Single-run commits of the upkeep log: runs 100 days apart, the newest on 2026-03-01.
UPKEEP_RUNS = 3


def write_logs(url: str, shared: str, upkeep: str) -> dict[str, int]:
    """Write the shared log (orders + billing) and the upkeep log; return their run counts."""
    from examples.remote_spark import remote_session, stop_remote_session

    session = remote_session(url)
    try:
        orders = [orders_report(day) for day in range(ORDERS_DAYS - 1)]
        orders.append(orders_report(ORDERS_DAYS - 1, valid=9000))
        shared_writer = LogWriter(session, WriterConfig(table_path=shared))
        shared_writer.write_reports([*orders, *billing_runs()])
        # One commit per run: the runs started 2026-03-01, 100 and 200 days before.
        writer = LogWriter(session, WriterConfig(table_path=upkeep))
        for day in range(UPKEEP_RUNS):
            writer.write_report(
                make_report(
                    pipeline="orders",
                    run_id=f"upkeep-{day}",
                    start=BASE_TIME - timedelta(days=100 * day),
                )
            )
        return {
            "shared_runs": shared_writer.read_logs().select("run_id").distinct().count(),
            "upkeep_runs": writer.read_logs().select("run_id").distinct().count(),
        }
    finally:
        stop_remote_session(session)


if __name__ == "__main__":
    print("FACTS " + json.dumps(write_logs(*sys.argv[1:4])), flush=True)
