# Shared preamble of the simulator benchmarks (burst.sh, baseline.sh); source it, do not run it.
# It leaves the caller in the repository root with a scratch directory in $work (removed on exit),
# and offers the cluster, scenario and machine lines that both benchmarks print or write alike, so
# that their numbers stay comparable: same controller/login shape, same hook timings, same header.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Builds the CLI's shaded jar unless SKIP_BUILD is set (reruns against a jar built once).
bench_build() {
  echo "== building slipway-cli"
  [ -n "${SKIP_BUILD:-}" ] || mvn -o -q -B -pl slipway-cli -am package -DskipTests
}

# Writes $work/config/slurm.yaml: a sim-backend cluster with one default partition of POOLS
# dedicated pools named PREFIX0.., each with feature f<i> so that a job's constraint picks its pool.
# Usage: bench_sim_config CLUSTER_ID PARTITION PREFIX POOLS MAX_NODES_PER_POOL
bench_sim_config() {
  local id=$1 partition=$2 prefix=$3 pools=$4 max=$5 p
  mkdir -p "$work/config"
  {
    cat <<YAML
slurm:
  cluster_id: $id
  controller: {ssh: {username: admin}, vm_size: standard_d2_v3, vm_count: 1}
  login: {ssh: {username: alice}, vm_size: standard_d2_v3, vm_count: 1}
  shared_data_volumes: {nfs: {host_mount_path: /shared, store_slurmctld_state: true}}
  slurm_options:
    elastic_partitions:
      $partition:
        default: true
        batch_pools:
YAML
    for p in $(seq 0 $((pools - 1))); do
      printf '          %s%d: {compute_node_type: dedicated, max_compute_nodes: %d, weight: 1, features: [f%d], vm_size: standard_f2s_v2}\n' \
        "$prefix" "$p" "$max" "$p"
    done
    echo "slipway: {backend: sim}"
  } > "$work/config/slurm.yaml"
}

# Prints a scenario's head (config in $work/config, hook timings, boot times) up to "jobs:".
# Usage: bench_scenario_head END SEED
bench_scenario_head() {
  echo "config: config"
  echo "end: $1"
  echo "seed: $2"
  echo "cluster: {suspend_time: 5m, resume_timeout: 20m, suspend_timeout: 2m}"
  echo "pool_defaults: {boot_time: {distribution: uniform, min: 2m, max: 4m}}"
  echo "jobs:"
}

# The machine line every benchmark prints before it measures (the machine is shared: load matters).
bench_machine_line() {
  echo "== $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
