#!/usr/bin/env bash
# Every test: formatting, lints and type checks; the UI's unit tests; the whole Rust workspace
# against the simulator over HTTP; the OS keyring under a private D-Bus session; the real app
# under Xvfb driven over WebDriver; and the .deb, built, installed, started and removed (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

echo "== ui: build, svelte-check, vitest"
bash scripts/ui.sh
(cd ui && npx svelte-check --tsconfig ./tsconfig.json --fail-on-warnings --output machine | tail -1)
(cd ui && NO_COLOR=1 FORCE_COLOR=0 npx vitest run) 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | tee -a "$LOG"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== cargo test --workspace"
cargo test --workspace 2>&1 | tee -a "$LOG"

echo "== the OS keyring and desktop notifications (under dbus-run-session)"
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
KR_HOME=$(mktemp -d) KR_RUN=$(mktemp -d)
chmod 700 "$KR_RUN"
dbus-run-session -- env HOME="$KR_HOME" XDG_RUNTIME_DIR="$KR_RUN" bash -c '
  printf "test-password" | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
  cargo test -p desk-core --test keyring -- --ignored
  cargo test -p desk-cli --test cli -- --ignored
  cargo test -p trengo-desk --test notifications -- --ignored
' 2>&1 | tee -a "$LOG"
rm -rf "$KR_HOME" "$KR_RUN"

echo "== end to end: the app under Xvfb over WebDriver"
cargo build --quiet -p trengo-desk
timeout 600 xvfb-run -a -s '-screen 0 1440x900x24' dbus-run-session -- \
  cargo test -p desk-e2e --test e2e -- --ignored --test-threads=1 < /dev/null 2>&1 | tee -a "$LOG"

echo "== the package: build the .deb, install it, start it on the demo under Xvfb, remove it"
bash scripts/package.sh
timeout 300 xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- \
  cargo test -p desk-e2e --test package -- --ignored < /dev/null 2>&1 | tee -a "$LOG"

# One plain summary line over every runner (cargo's and vitest's).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
     /Tests +[0-9]+ passed/ { for (i = 1; i <= NF; i++) if ($(i) == "passed") p += $(i-1) }
     /Tests .*[0-9]+ failed/ { for (i = 1; i <= NF; i++) if ($(i) ~ /^failed/) f += $(i-1) }
     END { printf "%d passed, %d failed\n", p, f; exit (f > 0) }' "$LOG"
