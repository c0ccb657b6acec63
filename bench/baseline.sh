#!/usr/bin/env bash
# Baseline benchmark: Batch Shipyard's helper (ShipyardBaseline: queue polled every 1-3 s, hosts
# checked one at a time with 5-10 s sleeps between misses, one resize per Resume message per pool)
# and Slipway run side by side by `slipway simulate --baseline` on the same traces and seeds:
#   1. examples/scenarios/burst.yaml (62 jobs, faults, preemptions, an outage, a daemon crash);
#   2. "wide": 4 pools x 100 hosts, 20 hook calls 5 s apart, each starting four 5-node jobs
#      (20 hosts per call), no faults.
# Prints resume-to-registered latency and provider calls of both, and the ratios.
# Usage: bench/baseline.sh          (builds slipway-cli; about 1 minute on 2 cores)
source "$(dirname "$0")/lib/sim.sh"
bench_build

bench_sim_config wide wide w 4 100
{
  bench_scenario_head 1h 3
  for c in $(seq 0 19); do
    for p in 0 1 2 3; do
      printf '  - {at: %ds, partition: wide, nodes: 5, duration: 15m, constraint: f%d}\n' $((c * 5)) "$p"
    done
  done
} > "$work/wide.yaml"

bench_machine_line
for scenario in examples/scenarios/burst.yaml "$work/wide.yaml"; do
  name=$(basename "$scenario" .yaml)
  java -jar slipway-cli/target/slipway.jar simulate --scenario "$scenario" --baseline --output json > "$work/$name.json"
  jq -r --arg name "$name" '
    "== \($name)",
    "                      Slipway        Batch Shipyard   ratio (BS / Slipway)",
    "resume->registered p50 \(.hosts.resume_to_registered_s.p50) s        \(.baseline.resume_to_registered_s.p50) s          \(.ratios.resume_to_registered_p50)",
    "resume->registered p95 \(.hosts.resume_to_registered_s.p95) s        \(.baseline.resume_to_registered_s.p95) s          \(.ratios.resume_to_registered_p95)",
    "job wait p50           \(.jobs.wait_s.p50) s        \(.baseline.wait_s.p50) s          \(.ratios.wait_p50)",
    "resize calls           \(.provider_calls.resize)            \(.baseline.provider_calls.resize)               \(.ratios.resize_calls)",
    "all provider calls     \(.provider_calls.total)           \(.baseline.provider_calls.total)              \(.ratios.provider_calls_total)",
    "  (Slipway: \(.provider_calls.list) pool lists, \(.provider_calls.remove) removals; Batch Shipyard: \(.baseline.provider_calls.pool_reads) pool reads, \(.baseline.provider_calls.remove) removals)",
    "jobs completed         \(.jobs.completed)/\(.jobs.submitted)          \(.baseline.jobs.completed)",
    "Slipway invariants held: \(.invariants.held)"' "$work/$name.json"
done
echo "== load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
