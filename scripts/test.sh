#!/usr/bin/env bash
# The test command: installs what the tests need, then runs every test (unit, contract and
# integration tests with real Slurm, namespaces and Azurite). Usage: scripts/test.sh [extra maven args]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
bash scripts/install-prereqs.sh
# Azurite (pinned in package-lock.json) for the azure-storage store tests.
if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  command -v npm >/dev/null 2>&1 || { echo "npm not found; install Node.js 20 (Debian: apt-get install nodejs npm)" >&2; exit 1; }
  npm ci --no-audit --no-fund --loglevel=error
fi
# verify runs surefire (*Test) and failsafe (*IT). -B: plain output for CI logs.
exec mvn -B verify "$@"
