#!/usr/bin/env bash
# Run sparkforge's tests on Spark 3.5 + Delta 3.x (Scala 2.12): the Databricks LTS line.
# The venv is .cache/venv-spark35 and the JARs .cache/jars-spark35; re-runs reuse both.
# The pair is the one pinned in constraints/spark35.txt; pytest arguments may follow.
#   scripts/test_spark35.sh
#   scripts/test_spark35.sh tests/unit tests/integration/test_writer_write.py
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pin() { sed -n "s/^$1==\([^ ;#]*\).*/\1/p" "$root/constraints/spark35.txt"; }
exec bash "$root/scripts/test_spark_pair.sh" "$(pin pyspark)" "$(pin delta-spark)" 2.12 spark35 -- "$@"
