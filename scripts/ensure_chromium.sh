#!/usr/bin/env bash
# The browser end-to-end test needs Chromium. Install Debian's package where the machine
# allows it (root with apt-get, as in CI); elsewhere say why the test will be skipped.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the Agents Playground browser test..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "Chromium is not installed and this machine cannot install it (needs root and apt-get):"
  echo "the Agents Playground browser test will be skipped. Install it with: sudo apt-get install chromium"
fi
