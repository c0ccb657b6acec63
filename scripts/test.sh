#!/usr/bin/env bash
# The test command: installs what the tests need, then runs every test (unit, contract and
# integration tests with real Slurm). Usage: scripts/test.sh [extra maven args]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
bash scripts/install-prereqs.sh
# verify runs surefire (*Test) and failsafe (*IT). -B: plain output for CI logs.
exec mvn -B verify "$@"
