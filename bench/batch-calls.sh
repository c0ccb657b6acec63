#!/usr/bin/env bash
# Batch REST calls per burst: the real engine (Reconciler, JoinService, SQLite store) drives the
# azure-batch provider against the Batch emulator on a fake clock; N hosts over P pools arrive in
# K hook calls 2 s apart (default 1,000 hosts, 10 pools, 20 calls), nodes boot in 80 s and join,
# passes run on every call and every 15 s until every host is registered. Counts the REST calls by
# operation at the emulator (the harness's own reads left out), checks one resize per pool per pass,
# $select on every read and one GET node per join (joins list no nodes), measures payload bytes with
# and without $select, and runs Batch Shipyard's helper (ShipyardBaseline) on the same burst for the ratios, all in one JVM.
# Usage: bench/batch-calls.sh            (about 1-2 min on 2 busy cores, build included)
#        HOSTS=2000 POOLS=10 CALLS=20 bench/batch-calls.sh
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${HOSTS:-1000}; pools=${POOLS:-10}; calls=${CALLS:-20}
echo "== $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
mvn -o -q -B -pl slipway-cli -am test -Dtest=BatchCallsBurstBench -Dsurefire.failIfNoSpecifiedTests=false \
  -Dbench.hosts="$hosts" -Dbench.pools="$pools" -Dbench.calls="$calls" > /dev/null
cat slipway-cli/target/batch-calls.txt
echo "== load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
