#!/usr/bin/env bash
# Runs Trengo Desk on the embedded demo workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet -p trengo-sim -- --size demo --port "${PORT:-8088}" --auto-assign-secs 45 "$@"
