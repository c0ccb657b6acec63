package dev.slipway.local.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * {@code slipway-node-slurmd}, what a netns node's join script runs as {@code SLIPWAY_SLURMD}
 * (docs/local-backend.md, "Elastic compute nodes"). It runs inside the node (network, UTS and time
 * namespaces of the start task) and starts slurmd in new UTS (host name = the Slurm host), time and
 * mount namespaces:
 *
 * <ul>
 *   <li>creates the host's spool directory {@code $SLIPWAY_SLURMD_SPOOL/<host>}: slurmd does not
 *       create {@code SlurmdSpoolDir=.../%n} and never gets going without it (feasibility report,
 *       gotcha 2);
 *   <li>starts slurmd in a <em>new</em> time namespace whose boot clock starts after the next whole
 *       second after the host's resume. This is the only boot clock slurmctld sees (the start
 *       task's own is cosmetic, {@link NodeLauncher#launchNow}), and slurmctld ignores a
 *       registration whose boot time is before the resume (gotcha 1; the arithmetic is
 *       NodeLauncher's with the resume instant as request instant). The resume instant is
 *       {@code SLIPWAY_RESUME_REQUESTED_AT}, which slipway-node-join sets from the join response
 *       (the time slurmctld's ResumeProgram recorded, at or after slurmctld's resume second): by
 *       the time a node joins that is usually more than a second ago, so slurmd starts at once.
 *       Without it (an older daemon, an operator's resume) the join instant stands in: the host
 *       may have been resumed after its node was requested (a node claimed for a newer resume),
 *       but never after the daemon answered the join; that costs a wait of 0.05 to 2.05 s.
 *   <li>with {@code SLIPWAY_MUNGE_SOCKET}, runs slurmd in a private mount namespace where that
 *       socket (the cluster's munged) is bind-mounted at munge's default path: a configless slurmd
 *       fetches its configuration before it has read {@code AuthInfo=socket=...}, so it would
 *       otherwise ask the machine's default munged, which does not hold the cluster's key. Nothing
 *       is mounted in the host's namespace.
 *   <li>with {@code SLIPWAY_NODE_MOUNTS} (lines {@code SOURCE<TAB>TARGET}), bind-mounts each of the
 *       cluster's shared volumes at its mount_path in that mount namespace, so jobs on the node and
 *       the login nodes see the same files.
 *   <li>with {@code SLIPWAY_NODE_SSHD_CONFIG}, starts the node's own sshd in the same namespaces
 *       (host name, mounts) before slurmd, with {@code SLIPWAY_NODE_SSHD_PAM} bind-mounted over
 *       /etc/pam.d/sshd in the private mount namespace (the host's file is never touched) and
 *       {@code SLURM_CONF=$SLIPWAY_NODE_SLURM_CONF} in its environment, which pam_slurm_adopt reads
 *       to find the node's slurmd spool. Its pid file is {@code $SLIPWAY_NODE_DIR/sshd.pid}; it
 *       lives in the node's network namespace, so removing the node stops it by PID with the rest.
 * </ul>
 *
 * <p>Time namespace offsets are relative to the host's clock, not the parent namespace's, so the
 * script adds back the node's own offset ({@code /proc/self/timens_offsets}) to get the host's
 * uptime h. It reads the wall clock w first, then h (so the host's boot instant {@code w - h} can
 * only be later than estimated, but for /proc/uptime's truncation), and takes the smallest whole M with
 * {@code w - h + M >= floor(r) + 1 + 0.05}, r the resume instant (or w): anchored at the join the new
 * clock reads zero 0.05 to 2.05 s from now (about 1 s on average; the 0.05 s cover /proc/uptime's
 * truncation to hundredths), anchored at a resume more than 2.05 s ago it already runs. The kernel refuses an
 * offset that makes the clock negative, so slurmd's time namespace is made only once that instant
 * has passed; the host name, the mounts and sshd are set up meanwhile in the UTS and mount
 * namespaces, which sshd and slurmd share.
 */
public final class NodeSlurmd {
  public static final String FILE_NAME = "slipway-node-slurmd";

  private NodeSlurmd() {}

  public static String text() {
    return """
        #!/bin/sh
        # slipway-node-slurmd: slurmd for a netns node. Written by Slipway; do not edit.
        # Usage (from slipway-node-join): slipway-node-slurmd -N HOST --conf-server SERVERS
        set -eu
        # The daemon may run with a strict umask; the spool must be traversable by every job's
        # user (slurmstepd execs the batch script from it as that user).
        umask 022
        host=
        prev=
        for a in "$@"; do
          if [ "$prev" = "-N" ]; then host=$a; fi
          prev=$a
        done
        if [ -z "$host" ]; then
          echo "slipway-node-slurmd: no -N HOST given" >&2
          exit 2
        fi
        spool=${SLIPWAY_SLURMD_SPOOL:?SLIPWAY_SLURMD_SPOOL is not set}
        nodedir=${SLIPWAY_NODE_DIR:-$spool/$host}
        # Every process here is on a cold job's path and costs 0.1 s or more on a loaded machine
        # (docs/performance.md, "Elastic overhead"): one mkdir, one date, one awk.
        if [ -n "${SLIPWAY_NODE_SSHD_CONFIG:-}" ]; then
          mkdir -p "$spool/$host" "$nodedir/logs"
        else
          mkdir -p "$spool/$host"
        fi
        # The boot instant of slurmd's time namespace: the first instant b = host boot + M (M whole
        # seconds) at or after the next whole second after the resume, plus a margin (class
        # comment). The resume is SLIPWAY_RESUME_REQUESTED_AT when the join response carried it,
        # else now (the join came after the resume); the earlier of the two when both are known.
        # The wall clock is read before the uptime (awk reads /proc/uptime after date ran), so the
        # host boot instant can only be later than estimated; /proc/uptime is the node's own clock,
        # so its offset is added back. awk prints M, that offset, and whether b is still ahead.
        resumed=${SLIPWAY_RESUME_REQUESTED_AT:-}
        case $resumed in ''|*[!0-9.]*|*.*.*|.*) resumed= ;; esac
        wall=$(date +%s.%N)
        clock=$(awk -v w="$wall" -v r="$resumed" 'BEGIN {
          o = 0
          while ((getline line < "/proc/self/timens_offsets") > 0) { split(line, f, " "); if (f[1] == "boottime") o = f[2] }
          getline line < "/proc/uptime"; split(line, f, " "); h = f[1] - o
          j = int(w); if (r != "" && int(r) < j) j = int(r)
          x = j + 1 + 0.05 - (w - h); m = int(x); if (m < x) m++; if (m < 0) m = 0
          print m, o, (m - h + 0.02 > 0) ? 1 : 0 }')
        m=${clock%% *}
        rest=${clock#* }
        own=${rest%% *}
        ahead=${rest#* }
        sock=${SLIPWAY_MUNGE_SOCKET:-}
        mnt=
        if [ -n "$sock" ] || [ -n "${SLIPWAY_NODE_MOUNTS:-}" ] || [ -n "${SLIPWAY_NODE_SSHD_CONFIG:-}" ]; then
          mnt="--mount --propagation private"
        fi
        # New UTS namespace: jobs' hostname prints the Slurm host, not the provider's node id.
        # With a socket: slurmd fetches its configuration (configless) through munge's default
        # socket before it knows AuthInfo, so in a private mount namespace the cluster's is put there.
        # The mounts and sshd are done while the boot instant approaches; only slurmd gets the new
        # time namespace, created once the instant has passed (the kernel refuses a negative clock).
        exec unshare $mnt --uts -- sh -c '
          set -eu
          host=$1
          sock=$2
          nodedir=$3
          m=$4
          own=$5
          ahead=$6
          shift 6
          hostname "$host"
          ownrun=
          if [ -n "$sock" ]; then
            if [ -d /run/munge ]; then
              mount -t tmpfs -o mode=0755 slipway-munge /run/munge
            else
              mount -t tmpfs -o mode=0755 slipway-run /run
              mkdir /run/munge
              ownrun=1
            fi
            : > /run/munge/munge.socket.2
            mount --bind "$sock" /run/munge/munge.socket.2
          fi
          if [ -n "${SLIPWAY_NODE_MOUNTS:-}" ]; then
            tab=$(printf "\\t")
            printf "%s\\n" "$SLIPWAY_NODE_MOUNTS" | while IFS="$tab" read -r src dst; do
              [ -n "$src" ] || continue
              mount --bind "$src" "$dst"
            done
          fi
          cfg=${SLIPWAY_NODE_SSHD_CONFIG:-}
          if [ -n "$cfg" ]; then
            # sshd insists on its privilege separation directory; on a private /run it is made
            # here, else the provisioner made the host one (never created from a node). A node
            # whose sshd fails still runs jobs, so that is reported, not fatal.
            if [ -n "$ownrun" ]; then mkdir -m 0755 /run/sshd; fi
            if [ -d /run/sshd ]; then
              mount --bind "${SLIPWAY_NODE_SSHD_PAM:?SLIPWAY_NODE_SSHD_PAM is not set}" /etc/pam.d/sshd
              SLURM_CONF="${SLIPWAY_NODE_SLURM_CONF:-/etc/slurm/slurm.conf}" "${SLIPWAY_SSHD_PROGRAM:-/usr/sbin/sshd}" \\
                -f "$cfg" -o "PidFile=$nodedir/sshd.pid" -E "$nodedir/logs/sshd.log" \\
                || echo "slipway-node-slurmd: sshd did not start on $host (see $nodedir/logs/sshd.log)" >&2
            else
              echo "slipway-node-slurmd: /run/sshd is missing; no sshd on $host" >&2
            fi
          fi
          # Anchored at a resume more than about 2 s ago the boot instant has passed already.
          if [ "$ahead" = 1 ]; then
            left=$(awk -v u="$(cut -d" " -f1 /proc/uptime)" -v o="$own" -v m="$m" "BEGIN {
              l = m - (u - o) + 0.02; if (l > 0) printf \\"%.2f\\", l; else print 0 }")
            sleep "$left"
          fi
          exec unshare --time --fork --boottime "-$m" -- "${SLIPWAY_SLURMD_PROGRAM:-slurmd}" "$@"
        ' slipway-node-slurmd "$host" "$sock" "$nodedir" "$m" "$own" "$ahead" "$@"
        """;
  }

  /** Writes the script to {@code dir}, mode 0755, replacing an older one atomically. */
  public static Path install(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path target = dir.resolve(FILE_NAME);
    Path tmp = Files.createTempFile(dir, "." + FILE_NAME + ".", ".tmp");
    try {
      Files.writeString(tmp, text(), StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return target;
  }
}
