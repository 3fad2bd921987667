#!/usr/bin/env bash
# Local Elasticsearch-compatible test server (noida-db, ES 8.15 API, a native binary shipped in a
# PyPI wheel) for the Elasticsearch event-search tests. Loopback only (127.0.0.1). Works on a
# fresh machine: creates a python venv and installs noida-db on the first start (~5 s).
# It is an emulator: use it for request/response plumbing with small data, not for relevance
# or performance.
#
# usage: .ci/es-emulator.sh start|stop|status|env
#   start   install if needed, start in the background on a fresh data dir, wait until ready
#   stop    stop the server started by `start` (by its recorded pid only)
#   status  exit 0 when the server answers
#   env     print the environment the tests read: eval "$(.ci/es-emulator.sh env)"
# settings: ES_EMU_DIR (default /tmp/es-emulator), ES_EMU_PORT (9202), NOIDA_VERSION (0.2.3)
set -euo pipefail
ES_EMU_DIR="${ES_EMU_DIR:-/tmp/es-emulator}"
ES_EMU_PORT="${ES_EMU_PORT:-9202}"
NOIDA_VERSION="${NOIDA_VERSION:-0.2.3}"
URL="http://127.0.0.1:${ES_EMU_PORT}"
PID_FILE="$ES_EMU_DIR/noida-${ES_EMU_PORT}.pid"
LOG_FILE="$ES_EMU_DIR/noida-${ES_EMU_PORT}.log"
DATA_DIR="$ES_EMU_DIR/data-${ES_EMU_PORT}"

ready() { curl -fsS -o /dev/null --max-time 2 "$URL/" 2>/dev/null; }
running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

install() {
  mkdir -p "$ES_EMU_DIR"
  if [ -x "$ES_EMU_DIR/venv/bin/noida-db" ] \
    && "$ES_EMU_DIR/venv/bin/pip" show noida-db 2>/dev/null | grep -qx "Version: ${NOIDA_VERSION}"; then
    return 0
  fi
  echo "installing noida-db==${NOIDA_VERSION} into $ES_EMU_DIR/venv ..." >&2
  rm -rf "$ES_EMU_DIR/venv"
  python3 -m venv "$ES_EMU_DIR/venv"
  "$ES_EMU_DIR/venv/bin/pip" install --quiet --disable-pip-version-check "noida-db==${NOIDA_VERSION}"
}

start() {
  install
  if running; then
    echo "noida-db already running (pid $(cat "$PID_FILE")) at $URL"
    return 0
  fi
  if ready; then
    echo "error: something else already answers at $URL; set ES_EMU_PORT" >&2
    return 1
  fi
  # A fresh data dir per start: the server persists indices there.
  rm -rf "$DATA_DIR"
  mkdir -p "$DATA_DIR"
  # It prints a harmless glibc symbol-version warning on Debian 12.
  # Its own process group (setsid): the `noida-db` entry point runs the native server as a
  # child, and `stop` ends the whole group so no server is left behind.
  setsid "$ES_EMU_DIR/venv/bin/noida-db" start --only elasticsearch \
    --elasticsearch-port "$ES_EMU_PORT" --data-dir "$DATA_DIR" </dev/null >"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 150); do # up to 30 s
    if ready; then
      echo "noida-db ${NOIDA_VERSION} (Elasticsearch API) ready at $URL (pid $(cat "$PID_FILE"))"
      return 0
    fi
    if ! running; then
      echo "noida-db exited during start-up:" >&2
      cat "$LOG_FILE" >&2
      rm -f "$PID_FILE"
      return 1
    fi
    sleep 0.2
  done
  echo "noida-db not ready after 30 s:" >&2
  cat "$LOG_FILE" >&2
  stop
  return 1
}

stop() {
  [ -f "$PID_FILE" ] || return 0
  local pid
  pid="$(cat "$PID_FILE")"
  if kill -0 "$pid" 2>/dev/null; then
    # The process group started by `start` (the entry point and the native server).
    kill -- "-$pid" 2>/dev/null || kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 -- "-$pid" 2>/dev/null; then kill -9 -- "-$pid"; fi
  fi
  rm -f "$PID_FILE"
  rm -rf "$DATA_DIR"
}

env_lines() {
  cat <<ENV
export PBJX_ELASTICSEARCH_URL=$URL
ENV
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) ready ;;
  env) env_lines ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
