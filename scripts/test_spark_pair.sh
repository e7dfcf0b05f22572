#!/usr/bin/env bash
# Run sparkforge's tests on one PySpark + Delta Lake pair, in a venv of its own.
#
#   scripts/test_spark_pair.sh PYSPARK_VERSION DELTA_VERSION SCALA_VERSION [NAME] [-- PYTEST_ARGS...]
#   scripts/test_spark_pair.sh 3.5.8 3.3.2 2.12 spark35
#   scripts/test_spark_pair.sh 4.1.1 4.3.1 2.13 spark41 -- tests/unit tests/integration/test_writer_write.py
#
# What it does, each step skipped when its stamp says it is already done (re-runs reuse both):
#   1. .cache/venv-NAME: `python3 -m venv`, then the requirements of sparkforge and of its `dev`
#      extra read from pyproject.toml, the pair pinned exactly in place of their ranges (with the
#      extras asked for, pyspark[connect]) and without the docs, lint and audit tools, and
#      sparkforge itself editable with --no-deps, so pyproject's ranges of the pair do not block it.
#   2. .cache/jars-NAME: Delta's JARs for that pair from Maven (delta-spark_SCALA, delta-storage and
#      their runtime dependencies but Scala itself, as Spark's own resolver would add them), by
#      scripts/fetch_delta_jars.sh; the test session loads them from $SPARKFORGE_DELTA_JARS
#      (examples/local_spark.py).
#   3. pytest with that venv, Java 17 and the JARs: by default the unit tests, the doctests and
#      the integration and reliability suites without the long variants.
#
# Environment: PYTHON (the interpreter that builds the venv, default python3), JAVA_HOME (default:
# the `java` on PATH), DELTA_ARTIFACT (default delta-spark_SCALA), PYTEST_MARK (default "not long").
# The pytest exit status is the script's; its output is teed to .cache/test-NAME.log. A module that
# fails to import is reported as an error and the other modules still run.
set -euo pipefail

usage="usage: $0 PYSPARK_VERSION DELTA_VERSION SCALA_VERSION [NAME] [-- PYTEST_ARGS...]"
pyspark_version=${1:?$usage}
delta_version=${2:?$usage}
scala_version=${3:?$usage}
shift 3
name="spark-$pyspark_version-delta-$delta_version"
if [[ $# -gt 0 && $1 != "--" ]]; then
  name=$1
  shift
fi
[[ ${1:-} == "--" ]] && shift
pytest_args=("$@")
if [[ ${#pytest_args[@]} -eq 0 ]]; then
  pytest_args=(tests/unit sparkforge tests/integration tests/reliability)
fi

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=.cache/venv-$name
jars=.cache/jars-$name
log=.cache/test-$name.log
py=$venv/bin/python
artifact=${DELTA_ARTIFACT:-delta-spark_$scala_version}
mkdir -p .cache

say() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ------------------------------------------------------------------ 1. the venv
# The requirements: sparkforge's own and its dev extra, from pyproject.toml, the pair pinned.
requirements=$(PAIR_PYSPARK=$pyspark_version PAIR_DELTA=$delta_version "${PYTHON:-python3}" - <<'EOF'
import os
import re
import tomllib

project = tomllib.load(open("pyproject.toml", "rb"))["project"]
wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
# The pair is pinned exactly, with the extras sparkforge asks of it (pyspark[connect]).
pins = {"pyspark": os.environ["PAIR_PYSPARK"], "delta-spark": os.environ["PAIR_DELTA"]}
extras: dict[str, set[str]] = {name: set() for name in pins}
# The docs, lint and audit tools run no test.
skipped = {"mkdocs", "mkdocs-material", "mkdocstrings", "mypy", "ruff", "bandit", "pip-audit",
           "pytest-cov"}
for req in wanted:
    found = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(?:\[([^\]]*)\])?", req)
    assert found, req
    name = found.group(1).lower()
    if name in pins:
        extras[name].update(e.strip() for e in (found.group(2) or "").split(",") if e.strip())
    elif name not in skipped:
        print(req)
for name, version in pins.items():
    extra = f"[{','.join(sorted(extras[name]))}]" if extras[name] else ""
    print(f"{name}{extra}=={version}")
EOF
)
# The stamp names the checkout too: the editable install points at it.
stamp_value="$root $(echo "$requirements" | tr '\n' ' ')"
stamp=$venv/.installed
if [[ -f $stamp && $(cat "$stamp") == "$stamp_value" ]]; then
  say "reusing $venv"
else
  say "building $venv (pyspark $pyspark_version, delta-spark $delta_version)"
  [[ -x $py ]] || "${PYTHON:-python3}" -m venv "$venv"
  "$py" -m pip install --quiet --upgrade pip
  mapfile -t reqs <<<"$requirements"
  "$py" -m pip install --quiet "${reqs[@]}"
  "$py" -m pip install --quiet --no-deps -e .
  "$py" -m pip check || say "pip check reports conflicts (above): the pair is used as pinned"
  echo "$stamp_value" >"$stamp"
fi
installed=$("$py" -c 'import importlib.metadata as m; print(m.version("pyspark"), m.version("delta-spark"))')
if [[ $installed != "$pyspark_version $delta_version" ]]; then
  echo "$venv holds pyspark/delta-spark $installed, not $pyspark_version $delta_version" >&2
  exit 2
fi

# ------------------------------------------------------------------ 2. Delta's JARs
jar_stamp=$jars/.fetched
jar_value="io.delta:$artifact:$delta_version"
if [[ -f $jar_stamp && $(cat "$jar_stamp") == "$jar_value" ]]; then
  say "reusing $jars"
else
  command -v mvn >/dev/null 2>&1 || { echo "mvn not found: cannot fetch $jar_value" >&2; exit 2; }
  say "fetching $jar_value and its runtime dependencies into $jars"
  rm -f "$jar_stamp"
  DELTA_ARTIFACT=$artifact bash scripts/fetch_delta_jars.sh "$jars" "$delta_version" "$scala_version" >/dev/null
  ls "$jars"/delta-spark_*.jar "$jars"/delta-storage-*.jar >/dev/null
  echo "$jar_value" >"$jar_stamp"
fi

# ------------------------------------------------------------------ 3. the tests
if [[ -z ${JAVA_HOME:-} ]]; then
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
fi
export JAVA_HOME
export PYSPARK_PYTHON=$root/$py
export SPARKFORGE_DELTA_JARS=$root/$jars
# The reliability suite's figures for this pair, apart from the default venv's.
export SPARKFORGE_RELIABILITY_REPORT=$root/.cache/reliability-figures-$name.jsonl
say "java: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1); pyspark $pyspark_version; delta $delta_version ($artifact)"
say "pytest -m '${PYTEST_MARK:-not long}' ${pytest_args[*]} (log: $log)"
start=$(date +%s)
set +e
"$py" -m pytest -p no:cacheprovider --continue-on-collection-errors -rfE \
  -m "${PYTEST_MARK:-not long}" "${pytest_args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
say "pytest exited $status after $(($(date +%s) - start)) s"
exit "$status"
