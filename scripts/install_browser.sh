#!/usr/bin/env bash
# Install Debian's chromium for the browser tests, if it is not there yet.
# Playwright drives it through executable_path; it cannot download its own browser here.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(command -v chromium)"
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  echo "chromium: $(command -v chromium)"
else
  echo "chromium is not installed and cannot be installed here (needs root and apt-get);" >&2
  echo "install it (Debian: apt-get install chromium) or the browser tests will be skipped." >&2
fi
