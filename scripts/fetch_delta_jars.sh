#!/usr/bin/env bash
# Fetch Delta Lake's JARs (Scala 2.13) matching the installed delta-spark wheel into $1 with Maven.
# Spark's own resolver (configure_spark_with_delta_pip) fetches the same coordinates at session
# start; this copy lets test and demo sessions start from local files instead (spark.jars).
# If Maven cannot fetch them, the directory is left empty and sessions fall back to that resolver.
set -euo pipefail
dest=${1:?usage: fetch_delta_jars.sh DEST_DIR}
py=${PY:-.venv/bin/python}
version=$("$py" -c 'import importlib.metadata as m; print(m.version("delta-spark"))')
mkdir -p "$dest"
rm -f "$dest"/*.jar
if ! command -v mvn >/dev/null 2>&1; then
  echo "mvn not found: Spark will resolve io.delta:delta-spark_2.13:$version itself" >&2
  exit 0
fi
for coord in "io.delta:delta-spark_2.13:$version" "io.delta:delta-storage:$version"; do
  if ! mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="$coord" -DoutputDirectory="$dest" >/dev/null; then
    echo "Maven could not fetch $coord: Spark will resolve it itself" >&2
    rm -f "$dest"/*.jar
    exit 0
  fi
done
ls "$dest"
