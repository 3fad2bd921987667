#!/usr/bin/env bash
# Local AWS emulator (moto server) for tests: DynamoDB (+ Streams), Kinesis, Firehose (+S3),
# Step Functions. Loopback only (127.0.0.1). Works on a fresh machine: creates a python venv
# and installs moto[server] on the first start (~1 min), later starts take < 1 s.
#
# usage: .ci/aws-emulator.sh start|stop|status|env
#   start   install if needed, start in the background, wait until ready (idempotent)
#   stop    stop the server started by `start` (by its recorded pid only)
#   status  exit 0 when the server answers
#   env     print the environment for the AWS SDK: eval "$(.ci/aws-emulator.sh env)"
# settings: EMU_DIR (default /tmp/aws-emulator), EMU_PORT (5000), MOTO_VERSION (5.2.5)
set -euo pipefail
EMU_DIR="${EMU_DIR:-/tmp/aws-emulator}"
EMU_PORT="${EMU_PORT:-5000}"
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
URL="http://127.0.0.1:${EMU_PORT}"
PID_FILE="$EMU_DIR/moto-${EMU_PORT}.pid"
LOG_FILE="$EMU_DIR/moto-${EMU_PORT}.log"

ready() { curl -fsS -o /dev/null --max-time 2 "$URL/moto-api/" 2>/dev/null; }
running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

install() {
  mkdir -p "$EMU_DIR"
  if [ -x "$EMU_DIR/venv/bin/moto_server" ] \
    && "$EMU_DIR/venv/bin/python" -c "import moto,sys; sys.exit(moto.__version__ != '${MOTO_VERSION}')" 2>/dev/null; then
    return 0
  fi
  echo "installing moto[server]==${MOTO_VERSION} into $EMU_DIR/venv ..." >&2
  rm -rf "$EMU_DIR/venv"
  python3 -m venv "$EMU_DIR/venv"
  "$EMU_DIR/venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==${MOTO_VERSION}"
}

start() {
  install
  if running; then
    echo "moto already running (pid $(cat "$PID_FILE")) at $URL"
    return 0
  fi
  if ready; then
    echo "error: something else already answers at $URL; set EMU_PORT" >&2
    return 1
  fi
  # moto_server serves every request on its own thread, and moto's TransactWriteItems is not
  # synchronised (it checks the conditions, then writes; a failing transaction restores a copy
  # of the whole table, undoing concurrent writes). Serve requests one at a time instead, so
  # transactions and conditional writes are serializable as in real DynamoDB.
  cat >"$EMU_DIR/serve.py" <<'PY'
import sys

import moto.server as server

_run_simple = server.run_simple


def run_serial(*args, **kwargs):
    kwargs["threaded"] = False
    return _run_simple(*args, **kwargs)


server.run_simple = run_serial
server.main(sys.argv[1:])
PY
  "$EMU_DIR/venv/bin/python" "$EMU_DIR/serve.py" -H 127.0.0.1 -p "$EMU_PORT" >"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 150); do # up to 30 s
    if ready; then
      # make Step Functions really execute state machines (default: no-op stub)
      curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
        -d '{"stepfunctions":{"execute_state_machine":true}}' "$URL/moto-api/config"
      echo "moto ${MOTO_VERSION} ready at $URL (pid $(cat "$PID_FILE"))"
      return 0
    fi
    if ! running; then
      echo "moto exited during start-up:" >&2
      cat "$LOG_FILE" >&2
      rm -f "$PID_FILE"
      return 1
    fi
    sleep 0.2
  done
  echo "moto not ready after 30 s:" >&2
  cat "$LOG_FILE" >&2
  stop
  return 1
}

stop() {
  [ -f "$PID_FILE" ] || return 0
  local pid
  pid="$(cat "$PID_FILE")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
  fi
  rm -f "$PID_FILE"
}

env_lines() {
  cat <<ENV
export AWS_ENDPOINT_URL=$URL
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
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
