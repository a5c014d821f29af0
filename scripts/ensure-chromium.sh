#!/usr/bin/env bash
# Makes sure Debian's chromium is at /usr/bin/chromium, for the browser tests (test/browser):
# silent when it is there already; otherwise installs the distribution's package (sudo only
# when not root and sudo exists). Exits non-zero, saying why, when it cannot.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0

fail() {
  echo "ensure-chromium: $*" >&2
  echo "ensure-chromium: the browser tests need $CHROMIUM (Debian/Ubuntu: apt-get install chromium)" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "$CHROMIUM is missing and there is no apt-get to install it"

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  # -n: never wait for a password that no one will type (CI); fail instead.
  as_root=(sudo -n)
else
  fail "$CHROMIUM is missing, and installing it needs root (not root, no sudo)"
fi

echo "ensure-chromium: installing Debian's chromium (not found at $CHROMIUM)" >&2
log="$(mktemp -t ensure-chromium-XXXXXX.log)"
if ! { "${as_root[@]}" apt-get update &&
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends chromium; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  rm -f "$log"
  fail "apt-get could not install chromium (output above)"
fi
rm -f "$log"

[ -x "$CHROMIUM" ] || fail "the chromium package was installed but $CHROMIUM is not there"
echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)" >&2
