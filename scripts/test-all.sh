#!/usr/bin/env bash
# Runs every test of the workspace: unit, integration, interop (../shared) and property tests.
# Usage: scripts/test-all.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared ] && [ -z "${PBJ_SHARED_DIR:-}" ]; then
  echo "error: ../shared (reference schemas and interop data) is missing; set PBJ_SHARED_DIR" >&2
  exit 1
fi
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc "$@"
