#!/usr/bin/env bash
# Run sparkforge's tests on Spark 3.5 + Delta 3.x (Scala 2.12): the Databricks LTS line.
# The venv is .cache/venv-spark35 and the JARs .cache/jars-spark35; re-runs reuse both (the venv
# is rebuilt when constraints/spark35.txt is newer). That file pins the pair and constrains the
# rest of the venv; pytest arguments may follow.
#   scripts/test_spark35.sh
#   scripts/test_spark35.sh tests/unit tests/integration/test_writer_write.py
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
constraints=$root/constraints/spark35.txt
pin() { sed -n "s/^$1==\([^ ;#]*\).*/\1/p" "$constraints"; }
# The whole venv keeps to the file (pip reads PIP_CONSTRAINT); a venv older than it is rebuilt.
export PIP_CONSTRAINT=$constraints
stamp=$root/.cache/venv-spark35/.installed
if [[ -f $stamp && $constraints -nt $stamp ]]; then
  rm -f "$stamp"
fi
exec bash "$root/scripts/test_spark_pair.sh" "$(pin pyspark)" "$(pin delta-spark)" 2.12 spark35 -- "$@"
