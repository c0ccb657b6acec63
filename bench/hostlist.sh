#!/usr/bin/env bash
# Hostlist benchmark: builds slipway-bench, runs HostListBenchmark (JMH, 1 fork, 3x1s warm-up,
# 5x1s measurement per benchmark, about 45 s) and times `scontrol show hostnames` on the same
# 100,000 names for comparison. Prints the figures; docs/performance.md records one run.
# Usage: bench/hostlist.sh [extra JMH arguments]   (needs the JMH jars in ~/.m2; drop -o once if not)
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== building slipway-bench"
mvn -o -q -B -pl slipway-bench -am package -DskipTests

echo "== $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== JMH: dev.slipway.bench.HostListBenchmark"
java -jar slipway-bench/target/benchmarks.jar 'dev.slipway.bench.HostListBenchmark' \
  -rf csv -rff "$work/jmh.csv" "$@"

score() { # benchmark-name -> score (in the benchmark's unit)
  awk -F, -v b="\"dev.slipway.bench.HostListBenchmark.$1\"" '$1 == b { print $5 }' "$work/jmh.csv"
}
expand_ms=$(score expand100k)

echo
echo "== scontrol show hostnames on the same 100,000 names"
if ! command -v scontrol >/dev/null; then
  echo "scontrol not found (Debian package slurm-client): skipping the comparison"
  exit 0
fi
# scontrol needs a configuration source even for these local subcommands.
printf 'ClusterName=bench\nSlurmctldHost=localhost\n' > "$work/slurm.conf"
export SLURM_CONF="$work/slurm.conf"
# Slurm 22.05 rejects one range of more than 65,536 hosts, so h-[0-99999] is written as two ranges.
expr='h-[0-49999],h-[50000-99999]'
test "$(scontrol -- show hostnames "$expr" | wc -l)" -eq 100000

runs=20
mean_ms() { # command... -> mean wall time of one run in ms (process start included)
  local start end
  "$@" >/dev/null  # warm the page cache
  start=$(date +%s%N)
  for _ in $(seq "$runs"); do "$@" >/dev/null; done
  end=$(date +%s%N)
  awk -v ns=$((end - start)) -v n="$runs" 'BEGIN { printf "%.2f", ns / n / 1e6 }'
}
big=$(mean_ms scontrol -- show hostnames "$expr")
one=$(mean_ms scontrol -- show hostnames h-0)

echo "scontrol show hostnames '$expr' > /dev/null: $big ms per run (mean of $runs, process start included)"
echo "scontrol show hostnames h-0 > /dev/null:        $one ms per run (process start alone)"
awk -v big="$big" -v one="$one" -v ours="$expand_ms" 'BEGIN {
  net = big - one
  printf "scontrol expansion net of process start:  %.2f ms\n", net
  printf "HostList expand100k (JMH, in-process):    %.3f ms\n", ours
  if (ours > 0) printf "ratio scontrol net / HostList:            %.1fx\n", net / ours
}'
echo "(scontrol show hostlist cannot take 100,000 names: one argument is limited to 128 KiB.)"
echo "== load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
