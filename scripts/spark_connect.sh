#!/usr/bin/env bash
# A local Spark Connect server for the tests and the benchmark, run from the PyPI pyspark
# distribution (SPARK_HOME = the installed pyspark package, which ships sbin/ and the jars) on the
# machine's Java 17+. Loopback only, a free port, bounded start.
#
#   scripts/spark_connect.sh start [STATE_DIR]   start; prints the sc:// URL when it answers
#   scripts/spark_connect.sh stop  [STATE_DIR]   stop the server started with that STATE_DIR
#   scripts/spark_connect.sh status [STATE_DIR]  print the URL and exit 0 when it is running
#
# STATE_DIR (default .cache/spark-connect) holds the URL, the pid file and the server logs, so a test
# run keeps them with its output. SPARK_CONNECT_START_TIMEOUT bounds the wait (default 120 s).
# The server gets the S3A connector and the AWS SDK bundle on its classpath (scripts/spark_jars.sh
# fetches them once), so it reads COS (s3a://) as well as local folders.
# The driver has 3 GB of heap: one server serves the whole test session, and the enrichment
# functions ship 12-36 MB task binaries per stage (1 GB ran out of heap on the dashboard's P8).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
STATE_DIR="$(mkdir -p "${2:-$REPO/.cache/spark-connect}" && cd "${2:-$REPO/.cache/spark-connect}" && pwd)"
URL_FILE="$STATE_DIR/url"
TIMEOUT="${SPARK_CONNECT_START_TIMEOUT:-120}"

spark_home() {
  [[ -x "$PY" ]] || { echo "no Python environment at $VENV: run scripts/test.sh or pip install -e .[dev]" >&2; exit 1; }
  "$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null || {
    echo "pyspark is not installed in $VENV: pip install -e '.[spark]' (the pinned pyspark[connect])" >&2
    exit 1
  }
}

check_java() {
  command -v java >/dev/null || { echo "Java 17+ is needed to run Spark and none is on PATH" >&2; exit 1; }
  local major
  major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  [[ "${major:-0}" -ge 17 ]] || { echo "Spark 4 needs Java 17+, found Java ${major:-unknown}" >&2; exit 1; }
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

answers() {  # the port accepts connections
  "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' \
    "$1" 2>/dev/null
}

env_for() {
  export SPARK_HOME="$1" SPARK_LOG_DIR="$STATE_DIR/logs" SPARK_PID_DIR="$STATE_DIR" SPARK_IDENT_STRING=cloudsql-test
  export SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$PY"
}

start() {
  check_java
  local home port began jars
  home="$(spark_home)"
  if [[ -f "$URL_FILE" ]] && answers "$(sed 's/.*://' "$URL_FILE")"; then cat "$URL_FILE"; return; fi
  jars="$(bash "$REPO/scripts/spark_jars.sh" path)"
  env_for "$home"
  mkdir -p "$SPARK_LOG_DIR"
  port="$(free_port)"
  began="$(date +%s.%N)"
  "$home/sbin/start-connect-server.sh" --master "local[2]" --jars "$jars" \
    --conf spark.connect.grpc.binding.address=127.0.0.1 \
    --conf spark.connect.grpc.binding.port="$port" \
    --conf spark.driver.bindAddress=127.0.0.1 --conf spark.driver.host=127.0.0.1 \
    --conf spark.ui.enabled=false \
    --conf spark.sql.session.timeZone=UTC \
    --conf spark.sql.shuffle.partitions=2 \
    --conf spark.driver.memory=3g >"$SPARK_LOG_DIR/start.out" 2>&1 || {
      cat "$SPARK_LOG_DIR/start.out" >&2; exit 1; }
  until answers "$port"; do
    if (( $(date +%s) - ${began%.*} > TIMEOUT )); then
      echo "Spark Connect did not answer on 127.0.0.1:$port within ${TIMEOUT}s; logs in $SPARK_LOG_DIR" >&2
      tail -n 40 "$SPARK_LOG_DIR"/*.out >&2 || true
      stop; exit 1
    fi
    sleep 0.5
  done
  echo "sc://127.0.0.1:$port" > "$URL_FILE"
  printf 'Spark Connect ready after %.1f s\n' "$(echo "$(date +%s.%N) - $began" | bc)" >"$STATE_DIR/start-time"
  cat "$STATE_DIR/start-time" >&2
  cat "$URL_FILE"
}

stop() {
  env_for "$(spark_home)"
  "$SPARK_HOME/sbin/stop-connect-server.sh" >/dev/null 2>&1 || true
  rm -f "$URL_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) [[ -f "$URL_FILE" ]] && answers "$(sed 's/.*://' "$URL_FILE")" && cat "$URL_FILE" ;;
  *) echo "usage: $0 start|stop|status [STATE_DIR]" >&2; exit 2 ;;
esac
