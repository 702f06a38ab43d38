#!/usr/bin/env bash
# Every test: formatting, lints, the whole workspace against the simulator over HTTP, and the
# tests that need a real OS keyring under a private D-Bus session with gnome-keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== cargo test --workspace"
cargo test --workspace 2>&1 | tee -a "$LOG"

echo "== the OS keyring (Secret Service under dbus-run-session)"
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
KR_HOME=$(mktemp -d) KR_RUN=$(mktemp -d)
chmod 700 "$KR_RUN"
dbus-run-session -- env HOME="$KR_HOME" XDG_RUNTIME_DIR="$KR_RUN" bash -c '
  printf "test-password" | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
  cargo test -p desk-core --test keyring -- --ignored
' 2>&1 | tee -a "$LOG"
rm -rf "$KR_HOME" "$KR_RUN"

# One plain summary line over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
     END { printf "%d passed, %d failed\n", p, f; exit (f > 0) }' "$LOG"
