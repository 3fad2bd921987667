#!/usr/bin/env bash
# Runs every test of the workspace: unit, integration, interop (../shared) and property tests,
# with every cargo feature (pbjx `dynamodb`, `search-tantivy`, `search-elasticsearch` included).
# Backends that need a server run against local emulators started here on 127.0.0.1 and stopped
# again on exit: the AWS emulator (moto, .ci/aws-emulator.sh) and the Elasticsearch-compatible
# server (noida-db, .ci/es-emulator.sh). Set PBJ_AWS_EMULATOR=external / PBJ_ES_EMULATOR=external
# to use servers you started yourself (AWS_ENDPOINT_URL etc. / PBJX_ELASTICSEARCH_URL exported).
# Usage: scripts/test-all.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared ] && [ -z "${PBJ_SHARED_DIR:-}" ]; then
  echo "error: ../shared (reference schemas and interop data) is missing; set PBJ_SHARED_DIR" >&2
  exit 1
fi
STOP=()
cleanup() { for cmd in "${STOP[@]}"; do $cmd || true; done; }
trap cleanup EXIT
if [ "${PBJ_AWS_EMULATOR:-}" != "external" ]; then
  bash .ci/aws-emulator.sh start
  STOP+=("bash .ci/aws-emulator.sh stop")
  eval "$(bash .ci/aws-emulator.sh env)"
fi
# The Elasticsearch-compatible server for the Elasticsearch event search tests
# (PBJX_ELASTICSEARCH_URL); PBJ_ES_EMULATOR=external keeps one you started yourself.
if [ "${PBJ_ES_EMULATOR:-}" != "external" ]; then
  bash .ci/es-emulator.sh start
  STOP+=("bash .ci/es-emulator.sh stop")
  eval "$(bash .ci/es-emulator.sh env)"
fi
# Unit and integration tests and the benches (run once each as tests); not --all-targets, which
# would also build every program as a test harness of its own (they have no unit tests).
cargo test --workspace --all-features --tests --bench '*' "$@"
cargo test --workspace --doc --all-features "$@"
