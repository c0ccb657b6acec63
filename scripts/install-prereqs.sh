#!/usr/bin/env bash
# Installs what Slipway's tests and its local backend need, from Debian's packages.
# Idempotent: packages already present are not touched, and apt is not called at all then.
# Usage: scripts/install-prereqs.sh [--check]   (--check: only report what is missing, exit 1 if any)
set -euo pipefail

# Binary -> Debian package that provides it. Beside the build tools, this is the local backend's
# list, which lives in Java in ONE place: dev.slipway.local.services.Prerequisites.REQUIRED
# (`slipway prereqs`). PrerequisitesScriptTest fails when the two name different packages.
declare -A need=(
  [java]=openjdk-17-jdk-headless
  [mvn]=maven
  [ip]=iproute2
  [unshare]=util-linux
  [nsenter]=util-linux
  [setpriv]=util-linux
  [slurmctld]=slurmctld
  [slurmd]=slurmd
  [scontrol]=slurm-client
  [sinfo]=slurm-client
  [sbatch]=slurm-client
  [sacct]=slurm-client
  [sacctmgr]=slurm-client
  [munged]=munge
  [munge]=munge
  [slurmdbd]=slurmdbd
  [mariadbd]=mariadb-server
  [mariadb-install-db]=mariadb-server
  [mariadb]=mariadb-client
  [sshd]=openssh-server
  [ssh]=openssh-client
  [curl]=curl
  # Tests only: the Azure bootstrap's rendered user-data is checked with `cloud-init schema`.
  [cloud-init]=cloud-init
)

missing=()
for bin in "${!need[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || [ -x "/sbin/$bin" ] || missing+=("${need[$bin]}")
done
# A PAM module, not a program (Debian puts it in /lib/security).
compgen -G "/lib/security/pam_slurm_adopt.so" >/dev/null || compgen -G "/lib/*/security/pam_slurm_adopt.so" >/dev/null \
  || compgen -G "/usr/lib/*/security/pam_slurm_adopt.so" >/dev/null || missing+=(libpam-slurm-adopt)
# Each package once, in a stable order.
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
fi

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
