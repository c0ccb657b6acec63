#!/usr/bin/env bash
# Burst benchmark: 10,000 hosts over 10 pools arrive in 50 hook calls (50 scheduling instants 2 s
# apart, each starting ten 20-node jobs, one per pool), run through `slipway simulate` with the real
# engine and SQLite store in a JVM limited to 256 MiB of heap. Prints resize calls per pool, the
# engine's CPU time (ThreadMXBean, on the harness thread) for (a) the burst intake: the passes from
# the first hook call until every host of the burst has its resize issued, (b) the join service,
# (c) the whole 40-minute run, and the JVM's peak heap. Then the same burst again in a second JVM,
# 15 minutes into a run that began with a smaller burst of the same shape ("warm": a daemon that
# has run a while), whose intake CPU is printed beside the cold one.
# JAR=path runs another build (before/after comparisons); JAVA_OPTS adds JVM flags (e.g. JFR).
# Usage: bench/burst.sh   (builds slipway-cli). Smaller: PER_POOL=200 JOB_NODES=4 bench/burst.sh (2,000 hosts)
source "$(dirname "$0")/lib/sim.sh"
bench_build

pools=${POOLS:-10}; per_pool=${PER_POOL:-1000}; calls=${CALLS:-50}; job_nodes=${JOB_NODES:-20}
warm_nodes=${WARM_NODES:-4}; warm_at=900
bench_sim_config burst burst p "$pools" "$per_pool"
# burst_jobs OFFSET_S NODES: the burst's job lines, every call's instant shifted by OFFSET_S.
burst_jobs() {
  for c in $(seq 0 $((calls - 1))); do
    for p in $(seq 0 $((pools - 1))); do
      printf '  - {at: %ds, partition: burst, nodes: %d, duration: 10m, constraint: f%d}\n' $(($1 + c * 2)) "$2" "$p"
    done
  done
}
# Cold: the daemon starts with the burst (its first pass loads classes and reads everything).
{ bench_scenario_head 40m 1; burst_jobs 0 "$job_nodes"; } > "$work/burst.yaml"
# Warm: the same burst at 15 min, after a burst of the same shape with WARM_NODES-node jobs (2 min
# long, so its hosts are suspended again by then): a daemon that has run a while, as it has when a
# burst comes. The intake counts from burst_from.
{ bench_scenario_head 55m 1 | sed "s/^jobs:/burst_from: ${warm_at}s\njobs:/"
  burst_jobs 0 "$warm_nodes" | sed 's/duration: 10m/duration: 2m/'; burst_jobs "$warm_at" "$job_nodes"; } > "$work/warm.yaml"

bench_machine_line
for run in burst warm; do
  start=$(date +%s%N)
  java -Xmx256m ${JAVA_OPTS:-} -jar "${JAR:-slipway-cli/target/slipway.jar}" simulate --scenario "$work/$run.yaml" --output json | sed -n '/^{/,$p' > "$work/$run.json"
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000000 ))" > "$work/$run.wall"
done
jq -r --arg wall "$(cat "$work/burst.wall")" '
  "hosts resumed:           \(.hosts.resumed) (resume to registered p50 \(.hosts.resume_to_registered_s.p50) s, max \(.hosts.resume_to_registered_s.max) s)",
  "jobs completed:          \(.jobs.completed) of \(.jobs.submitted)",
  "resize calls:            \(.provider_calls.resize) in all, by pool \(.provider_calls.resize_by_pool | tostring)",
  "provider calls:          \(.provider_calls.total) (\(.provider_calls.list) lists, \(.provider_calls.remove) removals, \(.provider_calls.failed) failed)",
  "burst intake (cold):     \(.burst_intake.hosts) hosts in \(.burst_intake.seconds) s (first hook call to the pass that issued the last resize they need): \(.burst_intake.passes) passes, CPU \(.burst_intake.pass_cpu_ms) ms; joins meanwhile \(.burst_intake.joins) (\(.burst_intake.join_cpu_ms) ms)",
  "join service:            \(.engine.joins) joins, CPU \(.engine.join_cpu_ms) ms (\(if .engine.joins > 0 then (.engine.join_cpu_ms * 1000 / .engine.joins | floor) else 0 end) us per join)",
  "whole run:               \(.engine.passes) passes (\(.engine.full_reads) read every intent and binding, \(.engine.whole_slurm_reads) every Slurm state), CPU \(.engine.cpu_ms - .engine.join_cpu_ms) ms (longest \(.engine.max_pass_cpu_ms) ms); with joins \(.engine.cpu_ms) ms",
  "peak heap (-Xmx256m):    \(.engine.peak_heap_mib) MiB",
  "invariants held:         \(.invariants.held)",
  "virtual time:            \(.run.virtual_s) s in \($wall) ms wall (JVM start included)"' "$work/burst.json"
jq -r '
  "burst intake (warm):     \(.burst_intake.hosts) hosts in \(.burst_intake.seconds) s from burst_from (after a \(.hosts.resumed - .burst_intake.hosts)-host warm-up burst): \(.burst_intake.passes) passes, CPU \(.burst_intake.pass_cpu_ms) ms; joins meanwhile \(.burst_intake.joins) (\(.burst_intake.join_cpu_ms) ms); peak heap \(.engine.peak_heap_mib) MiB; invariants held: \(.invariants.held)"' "$work/warm.json"
echo "== load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
