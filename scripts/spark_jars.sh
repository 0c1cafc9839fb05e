#!/usr/bin/env bash
# The jars a Spark server needs to read COS through Hadoop's S3A connector, which the PyPI pyspark
# distribution does not ship: org.apache.hadoop:hadoop-aws at the version of the bundled
# hadoop-client-api jar, and the two compile dependencies its POM names (versions from its
# hadoop-project parent): the AWS SDK v2 bundle and the S3 Analytics Accelerator (without which S3A
# fails on its first read with NoClassDefFoundError). All three are Apache-2.0.
#
#   scripts/spark_jars.sh [path]   fetch once (Maven, checksums checked), print "JAR,JAR,JAR" for --jars
#
# Fetched with the ordinary Maven client (`mvn dependency:get`, strict checksums) into a Maven
# repository in the user's cache (~/.cache/cloudsql-cos-ts/spark-jars/, or $XDG_CACHE_HOME's), shared by
# every clone on the machine because the SDK bundle is large, then checked against the SHA-256 pinned here.
# The repository is Maven's own default; CLOUDSQL_MAVEN_REPOSITORY names another (a mirror).
# The SDK bundle is ~690 MB: the first run prints progress, later runs only check the files' stamps.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
HADOOP_AWS_VERSION="3.5.0"
# group:artifact:version sha256
ARTIFACTS=(
  "org.apache.hadoop:hadoop-aws:$HADOOP_AWS_VERSION 66bd9eefb938b1a1657487324b63c13df2d8b17164a1dd24e0ef37b905bc5baa"
  "software.amazon.awssdk:bundle:2.35.4 db4b55f24ad1b4e70f17eb1717a4de76a8dadc5a27d764be7c44ff67b2c1c677"
  "software.amazon.s3.analyticsaccelerator:analyticsaccelerator-s3:1.3.1 4959a9747cbb479c73c3ffbcd479bee5b014f8b2880994585a8693fb9d24675e"
)
JAR_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/cloudsql-cos-ts/spark-jars"
M2="$JAR_CACHE/m2"

jar_path() {  # group:artifact:version -> its file in the Maven repository
  local group artifact version
  IFS=: read -r group artifact version <<<"$1"
  echo "$M2/${group//.//}/$artifact/$version/$artifact-$version.jar"
}

check_spark_hadoop() {  # hadoop-aws must match the Hadoop client classes the Spark server runs on
  local jars
  jars="$("$PY" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')"
  [[ -f "$jars/hadoop-client-api-$HADOOP_AWS_VERSION.jar" ]] || {
    echo "the installed pyspark bundles $(cd "$jars" && ls hadoop-client-api-*.jar 2>/dev/null || echo 'no hadoop-client-api jar'),"\
      "not hadoop-client-api-$HADOOP_AWS_VERSION.jar: update ARTIFACTS in $0 (hadoop-aws and the versions its POM names)" >&2
    exit 1
  }
}

fetch() {  # $1 = group:artifact:version
  if ! command -v mvn >/dev/null; then  # Debian's Maven: root (as CI) installs it, anyone else is told to
    [[ "$(id -u)" == 0 ]] || { echo "Maven is needed to fetch the S3A jars: apt-get install maven" >&2; exit 1; }
    step "Maven (Debian package) to fetch the S3A jars"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven >/dev/null
  fi
  local remote=()
  [[ -n "${CLOUDSQL_MAVEN_REPOSITORY:-}" ]] && remote=("-DremoteRepositories=$CLOUDSQL_MAVEN_REPOSITORY")
  mvn -B -C -Dstyle.color=never -Dmaven.repo.local="$M2" dependency:get -Dartifact="$1" -Dtransitive=false "${remote[@]}" \
    | grep -E '^\[(INFO|WARNING|ERROR)\] (Download|BUILD|Failed|Total|.*error)' >&2
}

progress() {  # print the cache's size every 10 s while Maven downloads (it prints nothing in between)
  while sleep 10; do echo "  … $(du -sm "$M2" | cut -f1) MB in $JAR_CACHE" >&2; done
}

verify() {  # $1 = jar, $2 = pinned SHA-256; hashing 690 MB takes seconds, so once per download
  local actual stamp="$1.sha256-ok"
  [[ -f "$stamp" && "$stamp" -nt "$1" && "$(cat "$stamp")" == "$2" ]] && return
  actual="$(sha256sum "$1" | cut -d' ' -f1)"
  [[ "$actual" == "$2" ]] || { echo "$1: SHA-256 $actual, expected $2 (a damaged download? delete it and retry)" >&2; exit 1; }
  echo "$2" > "$stamp"
}

main() {
  check_spark_hadoop
  local entry coordinates sha missing=() paths=()
  for entry in "${ARTIFACTS[@]}"; do
    coordinates="${entry% *}"
    [[ -f "$(jar_path "$coordinates")" ]] || missing+=("$coordinates")
  done
  if (( ${#missing[@]} )); then
    step "S3A jars for Spark: ${missing[*]} (the AWS SDK bundle is ~690 MB; once)"
    progress & local watcher=$!
    trap 'kill "$watcher" 2>/dev/null || true' EXIT
    for coordinates in "${missing[@]}"; do fetch "$coordinates"; done
    kill "$watcher" 2>/dev/null || true
    trap - EXIT  # the trap names a local of main(): left set, it failed under set -u once main returned
  fi
  for entry in "${ARTIFACTS[@]}"; do
    coordinates="${entry% *}" sha="${entry#* }"
    verify "$(jar_path "$coordinates")" "$sha"
    paths+=("$(jar_path "$coordinates")")
  done
  (IFS=,; echo "${paths[*]}")
}

case "${1:-path}" in
  path) main ;;
  *) echo "usage: $0 [path]" >&2; exit 2 ;;
esac
