#!/usr/bin/env bash
# What the tests need beyond npm packages: Debian's Chromium for the browser tests
# (test/browser/). Installs it with apt-get when it is missing; does nothing otherwise.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
