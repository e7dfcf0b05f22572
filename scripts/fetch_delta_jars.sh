#!/usr/bin/env bash
# Fetch Delta Lake's JARs into DEST_DIR with Maven: delta-spark_SCALA, delta-storage and their
# runtime dependencies (for Delta >= 4.2 the delta-kernel and Unity Catalog client JARs), as
# Spark's own resolver (configure_spark_with_delta_pip, spark.jars.packages) would add them, but
# Scala's library, which Spark ships. Test and demo sessions load every JAR of the directory
# (spark.jars, examples/local_spark.py) instead of resolving the coordinates at session start.
#
#   scripts/fetch_delta_jars.sh DEST_DIR [DELTA_VERSION [SCALA_VERSION]]
#
# DELTA_VERSION defaults to the delta-spark wheel installed in $PY (default .venv/bin/python),
# SCALA_VERSION to the Scala of that interpreter's PySpark (its jars/scala-library-*.jar).
# DELTA_ARTIFACT overrides the artifact (default delta-spark_SCALA_VERSION).
# Both `make jars` and scripts/test_spark_pair.sh fetch through this script.
# If Maven is missing or cannot fetch them, DEST_DIR is left without JARs and sessions fall back
# to Spark's resolver; callers that need the files check for them.
set -euo pipefail
usage="usage: $0 DEST_DIR [DELTA_VERSION [SCALA_VERSION]]"
dest=${1:?$usage}
py=${PY:-.venv/bin/python}
version=${2:-$("$py" -c 'import importlib.metadata as m; print(m.version("delta-spark"))')}
scala=${3:-}
if [[ -z $scala ]]; then
  scala=$("$py" - <<'EOF'
import pathlib
import re

import pyspark

jars = pathlib.Path(pyspark.__file__).parent / "jars"
found = [m for p in jars.glob("scala-library-*.jar") if (m := re.match(r"scala-library-(\d+\.\d+)\.", p.name))]
if len(found) != 1:
    raise SystemExit(f"cannot tell PySpark's Scala version from {jars}")
print(found[0].group(1))
EOF
  )
fi
artifact=${DELTA_ARTIFACT:-delta-spark_$scala}
coord="io.delta:$artifact:$version"

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
rm -f "$dest"/*.jar
if ! command -v mvn >/dev/null 2>&1; then
  echo "mvn not found: Spark will resolve $coord itself" >&2
  exit 0
fi
pom_dir=$(mktemp -d)
trap 'rm -rf "$pom_dir"' EXIT
cat >"$pom_dir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sparkforge</groupId><artifactId>delta-jars</artifactId><version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.delta</groupId><artifactId>$artifact</artifactId><version>$version</version></dependency>
  </dependencies>
</project>
EOF
# Scala's library comes with Spark; a second copy on the classpath is never wanted.
if ! mvn -q -B -Dstyle.color=never -f "$pom_dir/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DexcludeGroupIds=org.scala-lang -DoutputDirectory="$dest" >"$pom_dir/mvn.log" 2>&1; then
  tail -n 20 "$pom_dir/mvn.log" >&2
  echo "Maven could not fetch $coord and its dependencies: Spark will resolve them itself" >&2
  rm -f "$dest"/*.jar
  exit 0
fi
echo "fetched $coord and its runtime dependencies into $dest:" >&2
ls "$dest"
