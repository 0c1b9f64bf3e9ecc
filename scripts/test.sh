#!/usr/bin/env bash
# The test command (README, .ci/run): installs the system programs the tests
# start on 127.0.0.1 when they are missing — `openssl` (test PKIs, CRLs and a
# real `openssl ocsp` responder), `redis-server` (the fleet's shared stores,
# feature `redis`) and `python3` (the shared vectors' runner) — from the
# distribution's packages, then runs every test with every feature.
#
#   scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# The tests start /usr/bin/redis-server themselves (and fail, never skip,
# when it cannot start).
test -x /usr/bin/redis-server || missing+=(redis-server)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    # The package may start a system-wide server; the tests use their own.
    $SUDO service redis-server stop >/dev/null 2>&1 || true
fi

test -d ../shared/testvectors || {
    echo "../shared/testvectors is missing: the tests read the shared vectors from there" >&2
    exit 1
}

exec cargo test --all-features "$@"
