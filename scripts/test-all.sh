#!/usr/bin/env bash
# Runs every test of the workspace: unit, integration, interop (../shared) and property tests,
# with every cargo feature (pbjx `dynamodb` included). Backends that need a server run against
# local emulators started here: the AWS emulator (moto, .ci/aws-emulator.sh) on 127.0.0.1,
# stopped again on exit. Set PBJ_AWS_EMULATOR=external to use an emulator you started
# yourself (AWS_ENDPOINT_URL etc. already exported).
# Usage: scripts/test-all.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared ] && [ -z "${PBJ_SHARED_DIR:-}" ]; then
  echo "error: ../shared (reference schemas and interop data) is missing; set PBJ_SHARED_DIR" >&2
  exit 1
fi
if [ "${PBJ_AWS_EMULATOR:-}" != "external" ]; then
  bash .ci/aws-emulator.sh start
  trap 'bash .ci/aws-emulator.sh stop' EXIT
  eval "$(bash .ci/aws-emulator.sh env)"
fi
cargo test --workspace --all-targets --all-features "$@"
cargo test --workspace --doc --all-features "$@"
