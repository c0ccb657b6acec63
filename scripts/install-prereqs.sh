#!/usr/bin/env bash
# Installs what Slipway's tests and its local backend need, from Debian's packages.
# Idempotent: packages already present are not touched, and apt is not called at all then.
# Usage: scripts/install-prereqs.sh [--check]   (--check: only report what is missing, exit 1 if any)
set -euo pipefail

# Binary -> Debian package that provides it.
declare -A need=(
  [java]=openjdk-17-jdk-headless
  [mvn]=maven
  [slurmctld]=slurmctld
  [slurmd]=slurmd
  [scontrol]=slurm-client
  [munged]=munge
  [ip]=iproute2
  [nsenter]=util-linux
)

missing=()
for bin in "${!need[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("${need[$bin]}")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "prerequisites: all present"
  exit 0
fi

if [ "${1:-}" = "--check" ]; then
  echo "prerequisites missing; install with: apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "prerequisites missing (${missing[*]}); run as root or: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "prerequisites: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian's postinst scripts cannot start services here (no systemd); Slipway starts daemons itself.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "prerequisites: installed"
