#!/usr/bin/env bash
# Runs Trengo Desk on the embedded demo workspace (a simulated Trengo inside the app).
# Without a display (a server, CI), it runs under Xvfb and saves a screenshot instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ui.sh
cargo build --quiet -p trengo-desk
APP=target/debug/trengo-desk
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$APP" --demo "$@"
fi
echo "demo: no display; running under Xvfb for 20 s and saving target/demo.png"
xvfb-run -a -s '-screen 0 1440x900x24' bash -c "'$APP' --demo $* & sleep 20; import -window root target/demo.png; kill %1"
echo "demo: screenshot at target/demo.png"
