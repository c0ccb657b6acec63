#!/usr/bin/env bash
# Elastic overhead of the local backend, on one real local cluster made for the run (root needed):
#  (a) submit -> RUNNING of `sbatch -N2` on powered-down elastic hosts (cold: resize, namespace boot,
#      join, slurmd registration) against the same job on hosts already up (warm: a pool whose hosts
#      are excluded from suspend), REPS rounds interleaved cold, warm, cold, warm ...;
#  (b) job end -> both hosts given back (their nodes' namespaces deleted, polled with `ip netns
#      list`) and job end -> both hosts powered down again (idle~ in sinfo), against SuspendTime +
#      SuspendTimeout.
# Prints every round, p50/max of each, the cold-minus-warm difference, the cold time split by stage
# (from slurmctld's, the daemon's and the slurmds' logs) and the load average before and after.
# Usage: bench/elastic.sh   (builds slipway-cli; SKIP_BUILD=1 uses target/slipway.jar; REPS=5)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/elastic.sh needs root (network namespaces, mounts)" >&2; exit 1; }
reps=${REPS:-5}; idle=${IDLE_S:-15}; suspend=${SUSPEND_S:-15}
work=$(mktemp -d /tmp/slipway-bench-elastic.XXXXXX)
chmod 755 "$work"
jar=$work/slipway.jar
id=be$(printf '%04x' $((RANDOM % 65536)))
subnet=${SUBNET:-10.220.$((RANDOM % 256)).0/24}
port=$((20000 + RANDOM % 20000))

echo "== building slipway-cli"
[ -n "${SKIP_BUILD:-}" ] || mvn -o -q -B -pl slipway-cli -am package -DskipTests
cp slipway-cli/target/slipway.jar "$jar"

mkdir -p "$work/conf"
cat > "$work/conf/slurm.yaml" <<YAML
slurm:
  cluster_id: $id
  controller: {ssh: {username: root}, vm_size: standard_d2s_v3, vm_count: 1}
  login: {ssh: {username: root}, vm_size: standard_d2s_v3, vm_count: 1}
  slurm_options:
    idle_reclaim_time: 00:00:$(printf '%02d' "$idle")
    elastic_partitions:
      cold:
        default: true
        max_runtime_limit: 01:00:00
        batch_pools:
          cpool: {compute_node_type: dedicated, max_compute_nodes: 2, weight: 10, vm_size: local_small}
      warm:
        default: false
        max_runtime_limit: 01:00:00
        batch_pools:
          wpool: {compute_node_type: dedicated, max_compute_nodes: 2, weight: 10, vm_size: local_small, reclaim_exclude_num_nodes: 2}
slipway:
  backend: local
  accounting: false
  resume_timeout: 00:02:00
  suspend_timeout: 00:00:$(printf '%02d' "$suspend")
  daemon_port: $port
  vm_sizes: [{name: local_small, vcpus: 1, memory_mib: 1024}]
  local: {subnet: $subnet, state_dir: $work/cluster}
YAML
dir=$work/cluster
cleanup() {
  java -jar "$jar" cluster destroy -c "$work/conf" > "$work/destroy.log" 2>&1 || cat "$work/destroy.log" >&2
  rm -rf "$work"
}
trap cleanup EXIT

echo "== $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average before $(cut -d' ' -f1-3 /proc/loadavg)"
java -jar "$jar" cluster create -c "$work/conf" > "$work/create.log" 2>&1 || { cat "$work/create.log" >&2; exit 1; }
login=$(ip netns list | awk -v id="$id" '$1 ~ "-" id "-login-vm000$" { print $1 }')
slurm() { nsenter --net="/run/netns/$login" env SLURM_CONF="$dir/etc/slurm.conf" "$@"; }
now() { date +%s.%N; }
# A Slurm or daemon log time stamp (2026-11-26T17:19:58.000 or 17:19:58.000) as epoch seconds.
epoch() { case $1 in *T*) date -d "$1" +%s.%N ;; *) date -d "$(date +%F) $1" +%s.%N ;; esac; }
ctld_log=$(ls "$dir"/infra/*-controller-vm000/log/slurmctld.log)
# One daemon per controller (docs/daemon.md), each with its own log: daemon-<controller>.log.
daemon_logs() { ls "$dir"/log/daemon*.log; }

# submit -> RUNNING (polled every 0.1 s); prints "JOBID SUBMIT RUNNING"
run_job() {
  local t0 out jid st
  t0=$(now)
  out=$(slurm sbatch -p "$1" -N2 -o /dev/null --wrap 'sleep 3')
  jid=${out##* }
  while :; do
    st=$(slurm squeue -h -j "$jid" -o %T 2>/dev/null || true)
    case $st in RUNNING|COMPLETING|"") break ;; esac
    sleep 0.1
  done
  echo "$jid $t0 $(now)"
}
# waits until job $1 left squeue
wait_gone() { while [ -n "$(slurm squeue -h -j "$1" 2>/dev/null || true)" ]; do sleep 0.2; done; }
# waits until every host of partition $1 is powered down (idle~) and no node namespace of pool $2
# is left; prints both times: "BACK DOWN" (namespaces gone, powered down)
wait_down() {
  local back="" down="" s
  while [ -z "$back" ] || [ -z "$down" ]; do
    if [ -z "$back" ] && ! ip netns list 2>/dev/null | awk '{ print $1 }' | grep -Eq -- "-$2-[0-9]+\$"; then back=$(now); fi
    if [ -z "$down" ]; then
      s=$(slurm sinfo -h -N -p "$1" -o '%t' | sort -u | tr '\n' ' ')
      [ "$s" = "idle~ " ] && down=$(now)
    fi
    sleep 0.2
  done
  echo "$back $down"
}
last_time() { # $1 file(s), $2 pattern: time stamp of the last matching line, as epoch
  local l
  # shellcheck disable=SC2086
  l=$(grep -ah "$2" $1 | sort | tail -n 1 | sed -E 's/^\[?([0-9T:. -]+[0-9])\]? .*/\1/')
  [ -n "$l" ] && epoch "$l" || echo ""
}
sub() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "-"; else printf "%.2f", a - b }'; }

echo "== warming the warm pool (not counted)"
read -r jid _ _ < <(run_job warm); wait_gone "$jid"

: > "$work/cold"; : > "$work/warm"; : > "$work/down"; : > "$work/back"; : > "$work/stages"
printf '%-5s %-9s %-9s %-10s %-10s %s\n' round cold_s warm_s "end->back" "end->down" "cold stages: alloc resize join slurmd config run"
for r in $(seq 1 "$reps"); do
  read -r cj c0 c1 < <(run_job cold)
  hosts=$(slurm squeue -h -j "$cj" -o %N 2>/dev/null || true)
  wait_gone "$cj"
  t_end=$(last_time "$ctld_log" "_job_complete: JobId=$cj done")
  read -r t_back t_down < <(wait_down cold cpool)
  read -r wj w0 w1 < <(run_job warm); wait_gone "$wj"
  # Stages of the cold job, each from the end of the previous one.
  t_alloc=$(last_time "$ctld_log" "sched: Allocate JobId=$cj ")
  t_resize=$(awk -v t0="$(date -d @"${c0%.*}" +%T)" '$0 ~ /events - resize pool=cpool/ && $1 >= t0 { print $1 }' $(daemon_logs) | sort | head -n 1)
  [ -n "$t_resize" ] && t_resize=$(epoch "$t_resize")
  t_join=""; t_slurmd=""
  for h in $(slurm scontrol show hostnames "$hosts" 2>/dev/null); do
    j=$(last_time "$(daemon_logs)" "events - joined pool=cpool host=$h:")
    s=$(last_time "$dir/log/slurmd-$h.log" "slurmd started on")
    t_join=$(awk -v a="$t_join" -v b="$j" 'BEGIN { print (a == "" || b > a) ? b : a }')
    t_slurmd=$(awk -v a="$t_slurmd" -v b="$s" 'BEGIN { print (a == "" || b > a) ? b : a }')
  done
  t_conf=$(last_time "$ctld_log" "Configuration for JobId=$cj is complete")
  cold=$(sub "$c1" "$c0"); warm=$(sub "$w1" "$w0"); down=$(sub "$t_down" "$t_end"); back=$(sub "$t_back" "$t_end")
  stages="$(sub "$t_alloc" "$c0") $(sub "$t_resize" "$t_alloc") $(sub "$t_join" "$t_resize") $(sub "$t_slurmd" "$t_join") $(sub "$t_conf" "$t_slurmd") $(sub "$c1" "$t_conf")"
  echo "$cold" >> "$work/cold"; echo "$warm" >> "$work/warm"; echo "$down" >> "$work/down"; echo "$back" >> "$work/back"
  echo "$stages" >> "$work/stages"
  printf '%-5s %-9s %-9s %-10s %-10s %s\n' "$r" "$cold" "$warm" "$back" "$down" "$stages"
done

stat() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "p50 %.2f s, max %.2f s", v[int((NR + 1) / 2)], v[NR] }'; }
p50() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "== $reps rounds"
echo "cold sbatch -N2 -> RUNNING:  $(stat "$work/cold")"
echo "warm sbatch -N2 -> RUNNING:  $(stat "$work/warm")"
echo "elastic overhead (p50 cold - p50 warm): $(sub "$(p50 "$work/cold")" "$(p50 "$work/warm")") s (goal: within 3 s)"
awk '{ for (i = 1; i <= NF; i++) s[i] += $i } END {
  printf "cold stages, mean s: submit->allocate %.2f, allocate->resize %.2f, resize->joined %.2f, joined->slurmd started %.2f, slurmd started->configured %.2f, configured->RUNNING seen %.2f\n",
    s[1]/NR, s[2]/NR, s[3]/NR, s[4]/NR, s[5]/NR, s[6]/NR }' "$work/stages"
echo "job end -> hosts given back (namespaces deleted): $(stat "$work/back") (SuspendTime = $idle s, SuspendTime + SuspendTimeout = $((idle + suspend)) s)"
echo "job end -> powered down (idle~): $(stat "$work/down") (SuspendTime + SuspendTimeout = $((idle + suspend)) s)"
echo "== load average after $(cut -d' ' -f1-3 /proc/loadavg)"
