#!/usr/bin/env bash
# Burst benchmark: 10,000 hosts over 10 pools arrive in 50 hook calls (50 scheduling instants 2 s
# apart, each starting ten 20-node jobs, one per pool), run through `slipway simulate` with the real
# engine and SQLite store in a JVM limited to 256 MiB of heap. Prints resize calls per pool, the
# engine's CPU time (ThreadMXBean, on the harness thread) for (a) the burst intake: the passes from
# the first hook call until every host of the burst has its resize issued, (b) the join service,
# (c) the whole 40-minute run, and the JVM's peak heap.
# JAR=path runs another build (before/after comparisons); JAVA_OPTS adds JVM flags (e.g. JFR).
# Usage: bench/burst.sh   (builds slipway-cli). Smaller: PER_POOL=200 JOB_NODES=4 bench/burst.sh (2,000 hosts)
source "$(dirname "$0")/lib/sim.sh"
bench_build

pools=${POOLS:-10}; per_pool=${PER_POOL:-1000}; calls=${CALLS:-50}; job_nodes=${JOB_NODES:-20}
bench_sim_config burst burst p "$pools" "$per_pool"
{
  bench_scenario_head 40m 1
  for c in $(seq 0 $((calls - 1))); do
    for p in $(seq 0 $((pools - 1))); do
      printf '  - {at: %ds, partition: burst, nodes: %d, duration: 10m, constraint: f%d}\n' $((c * 2)) "$job_nodes" "$p"
    done
  done
} > "$work/burst.yaml"

bench_machine_line
start=$(date +%s%N)
java -Xmx256m ${JAVA_OPTS:-} -jar "${JAR:-slipway-cli/target/slipway.jar}" simulate --scenario "$work/burst.yaml" --output json | sed -n '/^{/,$p' > "$work/report.json"
end=$(date +%s%N)
jq -r --arg wall "$(( (end - start) / 1000000 ))" '
  "hosts resumed:           \(.hosts.resumed) (resume to registered p50 \(.hosts.resume_to_registered_s.p50) s, max \(.hosts.resume_to_registered_s.max) s)",
  "jobs completed:          \(.jobs.completed) of \(.jobs.submitted)",
  "resize calls:            \(.provider_calls.resize) in all, by pool \(.provider_calls.resize_by_pool | tostring)",
  "provider calls:          \(.provider_calls.total) (\(.provider_calls.list) lists, \(.provider_calls.remove) removals, \(.provider_calls.failed) failed)",
  "burst intake:            \(.burst_intake.hosts) hosts in \(.burst_intake.seconds) s (first hook call to the pass that issued the last resize they need): \(.burst_intake.passes) passes, CPU \(.burst_intake.pass_cpu_ms) ms; joins meanwhile \(.burst_intake.joins) (\(.burst_intake.join_cpu_ms) ms)",
  "join service:            \(.engine.joins) joins, CPU \(.engine.join_cpu_ms) ms (\(if .engine.joins > 0 then (.engine.join_cpu_ms * 1000 / .engine.joins | floor) else 0 end) us per join)",
  "whole run:               \(.engine.passes) passes (\(.engine.full_reads) read every intent and binding), CPU \(.engine.cpu_ms - .engine.join_cpu_ms) ms (longest \(.engine.max_pass_cpu_ms) ms); with joins \(.engine.cpu_ms) ms",
  "peak heap (-Xmx256m):    \(.engine.peak_heap_mib) MiB",
  "invariants held:         \(.invariants.held)",
  "virtual time:            \(.run.virtual_s) s in \($wall) ms wall (JVM start included)"' "$work/report.json"
echo "== load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
