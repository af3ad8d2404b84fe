#!/usr/bin/env bash
# Installs what the Spark path of the helpers (helpers/spark) runs on into .spark/ (git-ignored), from
# package registries only, pinned and checked; nothing is downloaded when Spark runs:
#
#   Java 17+     Debian's default-jre-headless when no Java 17+ is found (as root; elsewhere it says what to install)
#   Spark 4.3.0  the pyspark source distribution on PyPI (pip download, hash-checked): its deps/ folder is a
#                whole Spark home (jars, with the Spark Connect server; bin; sbin), unpacked into .spark/home
#   JDBC         org.postgresql:postgresql from Maven Central through mvn (Debian's maven when missing),
#                sha256-checked, into .spark/home/jars
#
# The stamp .spark/.installed records what was installed; re-running with the same pins does nothing.
#   scripts/spark-install.sh            # SPARK_DIR=.spark PIP=.venv/bin/pip
set -euo pipefail

PYSPARK_VERSION=4.3.0
PYSPARK_SHA256=e8c517948eff7088a7aa07449aa8eafa4a15a8d50319de2525a6fd26622476c6
JDBC_ARTIFACT=org.postgresql:postgresql:42.7.14
JDBC_SHA256=73914527305a40cce504b0d3d90b23caf565136912d607ae8ae7c5895512332c
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

REPO=$(cd "$(dirname "$0")/.." && pwd)
SPARK_DIR=${SPARK_DIR:-$REPO/.spark}
PIP=${PIP:-$REPO/.venv/bin/pip}
pins="pyspark==$PYSPARK_VERSION $PYSPARK_SHA256 $JDBC_ARTIFACT $JDBC_SHA256"
stamp="$SPARK_DIR/.installed"

as_root_apt() { # package...
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "Installing $* (apt-get install)..." >&2
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
	else
		echo "$* not found: install it (Debian/Ubuntu: sudo apt-get install $*) and run make again." >&2
		exit 1
	fi
}

java_major() {
	command -v java >/dev/null || { echo 0; return; }
	java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -1
}

# Java: Spark 4 needs 17 or newer.
if [ "$(java_major)" -lt 17 ] 2>/dev/null || [ -z "$(java_major)" ]; then
	as_root_apt default-jre-headless
	if [ "$(java_major)" -lt 17 ]; then
		echo "Spark needs Java 17 or newer; found $(java -version 2>&1 | head -1). Install openjdk-17-jre-headless or newer." >&2
		exit 1
	fi
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pins" ] && [ -x "$SPARK_DIR/home/bin/spark-submit" ]; then
	exit 0
fi

start=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/replicalab-spark-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Spark: the pinned pyspark sdist, checked against its hash by pip.
[ -x "$PIP" ] || { echo "pip not found at $PIP: run make venv first (or set PIP)" >&2; exit 1; }
echo "pyspark==$PYSPARK_VERSION --hash=sha256:$PYSPARK_SHA256" > "$tmp/requirements.txt"
echo "Downloading Spark $PYSPARK_VERSION (pyspark from PyPI, ~450 MB)..." >&2
"$PIP" download -q --disable-pip-version-check --no-deps --no-binary :all: --require-hashes \
	-r "$tmp/requirements.txt" -d "$tmp/dl"
tar -xzf "$tmp/dl/pyspark-$PYSPARK_VERSION.tar.gz" -C "$tmp" "pyspark-$PYSPARK_VERSION/deps"
home="$tmp/pyspark-$PYSPARK_VERSION/deps"
ls "$home"/jars/spark-connect_*.jar >/dev/null 2>&1 || { echo "the pyspark distribution has no Spark Connect server jar" >&2; exit 1; }

# The PostgreSQL JDBC driver, from Maven Central.
command -v mvn >/dev/null || as_root_apt maven
echo "Downloading the PostgreSQL JDBC driver ($JDBC_ARTIFACT, Maven Central)..." >&2
mvn -q -B "$DEPENDENCY_PLUGIN:copy" -Dartifact="$JDBC_ARTIFACT" -DoutputDirectory="$tmp/jdbc" >&2
jar=$(ls "$tmp"/jdbc/*.jar)
echo "$JDBC_SHA256  $jar" | sha256sum -c --quiet - || { echo "the JDBC driver's checksum does not match" >&2; exit 1; }
cp "$jar" "$home/jars/"

rm -rf "$SPARK_DIR/home"
mkdir -p "$SPARK_DIR"
mv "$home" "$SPARK_DIR/home"
echo "$pins" > "$stamp"
echo "Spark $PYSPARK_VERSION installed in $SPARK_DIR ($(du -sh "$SPARK_DIR" | cut -f1), $(( $(date +%s) - start )) s)" >&2
