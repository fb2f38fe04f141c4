#!/usr/bin/env bash
# What the tests need beyond npm packages, from Debian: Chromium for the browser tests
# (test/browser/) and PostgreSQL's server binaries, from which test/support/postgres.ts starts a
# private cluster per test (tests never use a server that happens to run). Installs whichever is
# missing with one apt-get update; does nothing when both are present.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Debian puts initdb and pg_ctl under /usr/lib/postgresql/<version>/bin, not on PATH.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
