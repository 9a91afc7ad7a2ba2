#!/bin/sh
# What the test suite needs outside Python, installed only when missing: Debian's
# chromium, the headless browser of tests/report/test_html_browser.py (which fails,
# never skips, without it). Used by the README's test command and by .ci/run (CI=true).
# Does nothing when chromium is there; otherwise apt-get, as root or through sudo.
set -eu
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: the tests need Chromium (headless) and there is no apt-get here: install it with your package manager" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "error: the tests need chromium: run 'apt-get install -y chromium' as root" >&2
  exit 1
fi
echo "installing chromium for the browser layout test (CI=${CI:-false})" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null 2>&1
