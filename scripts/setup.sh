#!/usr/bin/env bash
# Installs everything building, running and testing Trengo Desk needs on Debian/Ubuntu.
# Idempotent: what is already present is skipped. Runs as root, or through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# System packages: build tools, the Tauri 2 stack (webkit2gtk 4.1, gtk3, librsvg, appindicator),
# a headless display and WebDriver for end-to-end tests, D-Bus, a Secret Service and a notification
# daemon, Node.js for the UI.
PKGS="build-essential pkg-config curl ca-certificates libssl-dev
  libwebkit2gtk-4.1-dev libjavascriptcoregtk-4.1-dev libsoup-3.0-dev libgtk-3-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev libdbus-1-dev
  xvfb xauth webkit2gtk-driver dbus dbus-x11 gnome-keyring dunst keyutils fonts-dejavu-core
  imagemagick x11-utils"
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing system packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust (rustup) first" >&2
  exit 1
fi

# The UI's packages, exactly as locked.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: npm ci (ui)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

# tauri-driver drives the app over WebDriver in the end-to-end tests.
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "setup: cargo install tauri-driver 2.1.0"
  cargo install tauri-driver --version 2.1.0 --locked --quiet
fi
# The Tauri bundler makes the .deb (scripts/package.sh); installed once per machine (about 8 min),
# then kept in ~/.cargo/bin.
if ! cargo tauri --version 2>/dev/null | grep -q "2.12.4"; then
  echo "setup: cargo install tauri-cli 2.12.4 (once per machine, several minutes)"
  cargo install tauri-cli --version 2.12.4 --locked --quiet
fi
echo "setup: done"
