#!/usr/bin/env bash
# Builds the release .deb with the Tauri bundler and prints its path and size. AppImage and the
# other formats need downloads this machine cannot make; `tauri.conf.json` keeps them listed for a
# machine with a network (`cargo tauri build` there builds them all).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
if ! cargo tauri --version 2>/dev/null | grep -q "2.12.4"; then
  echo "package: tauri-cli 2.12.4 is missing: run bash scripts/setup.sh" >&2
  exit 1
fi
bash scripts/ui.sh
# The bundle is made here only (CI and plain cargo builds make none).
(cd src-tauri && cargo tauri build --bundles deb --ci \
  --config '{"bundle": {"active": true}}' 2>&1 | grep -vE '^\s*(Compiling|Downloaded|Downloading)' )
deb=$(ls -t target/release/bundle/deb/*.deb | head -n 1)
bin=target/release/trengo-desk
echo "package: $deb ($(du -k "$deb" | cut -f1) KiB); release binary: $bin ($(du -k "$bin" | cut -f1) KiB)"
