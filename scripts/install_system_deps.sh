#!/usr/bin/env bash
# Install the system packages the tests use, where they are missing:
#   - Debian's chromium, for the browser tests (Playwright drives it through executable_path;
#     it cannot download a browser of its own here);
#   - LibreOffice Writer, only when SOA_WITH_LIBREOFFICE=1 (CI sets it): the ingest stage uses it
#     to read Word 97-2003 .doc files, and tests/test_ingest_doc.py runs only where it is installed.
# Needs root and apt-get; elsewhere it says what to install and the tests that need it skip.
set -euo pipefail
want=()
command -v chromium >/dev/null 2>&1 || want+=(chromium)
if [ "${SOA_WITH_LIBREOFFICE:-0}" = "1" ] && ! command -v soffice >/dev/null 2>&1; then
  want+=(libreoffice-writer-nogui)
fi
if [ "${#want[@]}" -eq 0 ]; then
  echo "system packages: nothing to install"
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
  echo "installed: ${want[*]}"
else
  echo "missing: ${want[*]}; install them (Debian: apt-get install ${want[*]})," >&2
  echo "or the tests that need them will be skipped." >&2
fi
