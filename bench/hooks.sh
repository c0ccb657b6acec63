#!/usr/bin/env bash
# Power-save hook latency: runs the resume and the suspend wrapper N times each (default 50) against
# a throw-away cluster (temporary config and SQLite store), as slurmctld would (env -i, stdio
# closed), and prints p50/p95/max wall time per hook for four set-ups measured in interleaved
# rounds, so that load from other processes hits all of them alike:
#   plain   java -jar slipway.jar hook ...      (no flags, sqlite-jdbc extracts its library, logback starts)
#   no-cds  the JVM wrapper, 'slipway hook install --jvm --no-cds'
#   cds     the JVM wrapper with the AppCDS archive 'slipway hook install --jvm' creates
#   spool   the default wrapper, 'slipway hook install': sh writes, fsyncs and renames a spool file,
#           wakes the daemon with a background curl; a second cluster (own state dir), so that its
#           calls are imported on their own at the end ('slipway nodes list', timed too)
# docs/performance.md ("Power-save hooks") records one run.
# The plain set-up is the slowest and only a reference, so it runs in every PLAIN_EVERY-th round
# (default 5: 10 samples per hook at N=50).
# Usage: bench/hooks.sh [N]     (builds the shaded jar first unless SLIPWAY_JAR names one)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
plain_every=${PLAIN_EVERY:-5}

jar=${SLIPWAY_JAR:-}
if [ -z "$jar" ]; then
  echo "== building the slipway jar"
  mvn -o -q -B -pl slipway-cli -am package -DskipTests
  jar=$PWD/slipway-cli/target/slipway.jar
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cfg" "$work/home/state" "$work/cfg-spool" "$work/home-spool/state"
cluster_yaml() { # state dir
cat <<YAML
slurm:
  cluster_id: hookbench
  controller: {ssh: {username: admin}, vm_size: standard_d2_v2, vm_count: 1}
  login: {ssh: {username: admin}, vm_size: standard_d2_v2, vm_count: 1}
  slurm_options:
    idle_reclaim_time: 00:10:00
    elastic_partitions:
      cpu:
        default: true
        batch_pools:
          cpu: {compute_node_type: dedicated, max_compute_nodes: 64, weight: 0, vm_size: standard_d2_v2}
slipway:
  backend: local
  local: {state_dir: $1}
YAML
}
cluster_yaml "$work/home" > "$work/cfg/slurm.yaml"
cluster_yaml "$work/home-spool" > "$work/cfg-spool/slurm.yaml"
cat > "$work/resume.json" <<'JSON'
{"all_nodes":"cpu-[0-3]","jobs":[{"job_id":101,"nodes":"cpu-[0-1]"},{"job_id":102,"nodes":"cpu-[2-3]"}]}
JSON

# Nobody listens on port 9: every call pays for a refused wake-up, as when the daemon is down (https,
# as the daemon serves: the JVM hook sets up its pinned TLS client; the pin comes from the cluster key).
wake=https://127.0.0.1:9/v1/wake
java -jar "$jar" hook install -c "$work/cfg" --libexec "$work/cds" --jar "$jar" --log "$work/cds.log" --wake "$wake" --jvm 2>/dev/null | tail -n 1
java -jar "$jar" hook install -c "$work/cfg" --libexec "$work/nocds" --jar "$jar" --log "$work/nocds.log" --wake "$wake" --jvm --no-cds 2>/dev/null >/dev/null
java -jar "$jar" hook install -c "$work/cfg-spool" --libexec "$work/spool" --jar "$jar" --log "$work/spool.log" --wake "$wake" 2>/dev/null | tail -n 1

now_ns() { date +%s%N; }
# CPU time (user + system) does not grow with other processes' load the way wall time does, so it
# is printed too when GNU time (Debian package 'time') is installed.
timed() { # file command... : runs the command, appending its CPU seconds to file when GNU time exists
  local file=$1; shift
  if [ -x /usr/bin/time ]; then /usr/bin/time -f '%U %S' -a -o "$file" "$@"; else "$@"; fi
}
run() { # variant hook -> appends wall ms to $work/<variant>-<hook>.ms, CPU ms to ...cpu
  local variant=$1 hook=$2 hosts='cpu-[0-3]' start end
  start=$(now_ns)
  case $variant in
    plain) timed "$work/$variant-$hook.time" env -i SLURM_RESUME_FILE="$work/resume.json" \
             "$(command -v java)" -jar "$jar" hook "$hook" -c "$work/cfg" --wake "$wake" "$hosts" <&- >>"$work/plain.log" 2>&1 ;;
    *) timed "$work/$variant-$hook.time" env -i SLURM_RESUME_FILE="$work/resume.json" \
             "$work/$variant/slipway-$hook" "$hosts" <&- >&- 2>&- ;;
  esac
  end=$(now_ns)
  echo $(( (end - start) / 1000000 )) >> "$work/$variant-$hook.ms"
}

echo "== $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $n rounds; each round runs resume then suspend for no-cds, cds and spool, every ${plain_every}th round also for plain"
for i in $(seq "$n"); do
  variants="no-cds cds spool"
  [ $((i % plain_every)) -eq 0 ] && variants="plain $variants"
  for v in $variants; do
    dir=$v; [ "$v" = no-cds ] && dir=nocds
    run "$dir" resume
    run "$dir" suspend
  done
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
spooled=$(ls "$work/home-spool/spool" | grep -c '^[0-9]*-[0-9]*$' || true)
start=$(now_ns)
java -jar "$jar" nodes list -c "$work/cfg-spool" >/dev/null
import_ms=$(( ($(now_ns) - start) / 1000000 ))

stats() { # file -> "p50 p95 max" in ms (nearest rank)
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    p50 = v[int((NR * 50 + 99) / 100)]; p95 = v[int((NR * 95 + 99) / 100)];
    printf "%6d %6d %6d", p50, p95, v[NR] }'
}
printf '\n%-8s %-8s %5s %6s %6s %6s   %8s %8s  (ms; wall time of one hook call, process start included; CPU = user+sys)\n' \
  set-up hook runs p50 p95 max "CPU p50" "CPU p95"
for v in plain nocds cds spool; do
  for h in resume suspend; do
    [ -s "$work/$v-$h.ms" ] || continue
    cpu="     n/a      n/a"
    if [ -s "$work/$v-$h.time" ]; then
      awk '{ printf "%d\n", ($1 + $2) * 1000 }' "$work/$v-$h.time" > "$work/$v-$h.cpu"
      cpu=$(stats "$work/$v-$h.cpu" | awk '{ printf "%8d %8d", $1, $2 }')
    fi
    printf '%-8s %-8s %5d %s   %s\n' "$([ $v = nocds ] && echo no-cds || echo $v)" "$h" "$(wc -l < "$work/$v-$h.ms")" \
      "$(stats "$work/$v-$h.ms")" "$cpu"
  done
done

# Every call must have recorded 4 intents.
expected=$(( (2 * n + n / plain_every) * 2 * 4 ))
recorded="? (sqlite3 not installed)"
recorded_spool="?"
if command -v sqlite3 >/dev/null; then
  recorded=$(sqlite3 "$work/home/state/slipway.db" "select value from counters where name = 'intent_seq'")
  recorded_spool=$(sqlite3 "$work/home-spool/state/slipway.db" "select value from counters where name = 'intent_seq'")
fi
echo
echo "intent sequence after the run: $recorded (expected $expected)"
echo "spool: $spooled files imported by one 'slipway nodes list' in $import_ms ms (JVM start included);" \
  "intent sequence $recorded_spool (expected $(( 2 * n * 4 ))), files left: $(ls "$work/home-spool/spool" | grep -c '^[0-9]*-[0-9]*$' || true)"
grep -c 'recorded 4 intents' "$work/cds.log" "$work/nocds.log" "$work/spool.log" $([ -f "$work/plain.log" ] && echo "$work/plain.log") | sed 's/^/log lines "recorded 4 intents": /'
