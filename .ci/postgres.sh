#!/usr/bin/env bash
# Install the PostgreSQL server binaries used by the export tests (tests/export).
#
# Idempotent: does nothing when initdb and pg_ctl are already available, either on
# PATH or under /usr/lib/postgresql/<version>/bin (Debian's layout). Must run as root
# on Debian or Ubuntu. The tests start their own throwaway cluster from these binaries;
# point METASEG_TEST_POSTGRES_URL at an existing server to skip that.
set -euo pipefail

have_binaries() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        return 0
    fi
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            return 0
        fi
    done
    return 1
}

if have_binaries; then
    echo "postgres.sh: PostgreSQL server binaries already installed; nothing to do."
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "postgres.sh: run as root (for example 'sudo bash .ci/postgres.sh') to install postgresql." >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: apt-get not found; install the PostgreSQL server with your package manager" \
         "or set METASEG_TEST_POSTGRES_URL to an existing server." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends postgresql

if ! have_binaries; then
    echo "postgres.sh: postgresql was installed but initdb/pg_ctl were not found." >&2
    exit 1
fi
echo "postgres.sh: PostgreSQL server binaries installed."
