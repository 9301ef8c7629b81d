#!/usr/bin/env bash
# need-chromium.sh makes sure the browser test has a Chromium to drive, before
# `make test` spends minutes on the Go tests: CHROMIUM=/path if set, else
# Debian's /usr/bin/chromium, which it installs with apt-get when run as root.
# Otherwise it fails at once with one line saying what to install. The test
# never downloads a browser of its own.
set -euo pipefail

if [ -n "${CHROMIUM:-}" ]; then
  [ -x "$CHROMIUM" ] && exit 0
  echo "CHROMIUM=$CHROMIUM is not an executable file: point it at a Chromium, or unset it to use Debian's /usr/bin/chromium" >&2
  exit 1
fi
[ -x /usr/bin/chromium ] && exit 0

# fonts-liberation gives the screenshots real text.
packages=(chromium fonts-liberation)
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's ${packages[*]} for the browser test (apt-get; once per machine)"
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq && apt-get install -y -qq "${packages[@]}" >/dev/null && [ -x /usr/bin/chromium ]; then
    /usr/bin/chromium --version 2>/dev/null  # (its launcher script complains on some /dev/shm mounts)
    exit 0
  fi
  echo "the browser test needs Debian's chromium, and apt-get could not install it: fix the error above, or set CHROMIUM=/path/to/chromium" >&2
  exit 1
fi

if command -v apt-get >/dev/null; then
  echo "the browser test needs Debian's chromium: run 'sudo apt-get install -y ${packages[*]}' (or set CHROMIUM=/path/to/chromium), then make test again" >&2
else
  echo "the browser test needs Chromium: install it, then run make test again with CHROMIUM=/path/to/chromium" >&2
fi
exit 1
