package dev.slipway.testkit;

import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.slurm.CommandRunner;
import dev.slipway.slurm.PrivateMunged;
import dev.slipway.slurm.PrivateSlurmctld;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real slurmctld (Debian's 22.05) with its own munged, on free ports, in a temporary directory,
 * started with core's PrivateMunged and PrivateSlurmctld as ScontrolSlurmControlIT starts one. No
 * slurmd runs, so CLOUD nodes stay powered down. {@link #start} skips the calling test class (a
 * JUnit assumption) when slurmctld, munged or root are missing; {@link #close} kills both daemons
 * by PID and deletes the directory, and {@link #start} does the same itself when it fails half way.
 */
final class LocalSlurmctld implements AutoCloseable {
  private final Path dir;
  private Optional<PrivateMunged> munged = Optional.empty();
  private Optional<PrivateSlurmctld> slurmctld = Optional.empty();

  private LocalSlurmctld(Path dir) {
    this.dir = dir;
  }

  /**
   * Starts slurmctld with {@code nodeLines} (NodeName= and PartitionName= lines) and waits until
   * scontrol lists {@code expectedNodes} nodes.
   */
  static LocalSlurmctld start(List<String> nodeLines, int expectedNodes) throws Exception {
    assumeThat(Files.isExecutable(Path.of("/usr/sbin/slurmctld"))).as("slurmctld installed (apt package slurmctld)").isTrue();
    assumeThat(Files.isExecutable(Path.of("/usr/sbin/munged"))).as("munged installed (apt package munge)").isTrue();
    assumeThat(Files.isExecutable(Path.of("/usr/bin/scontrol"))).as("scontrol installed (apt package slurm-client)").isTrue();
    assumeThat(System.getProperty("user.name")).as("running as root (SlurmUser=root)").isEqualTo("root");
    LocalSlurmctld s = new LocalSlurmctld(Files.createTempDirectory("slipway-contract-it"));
    try {
      s.startDaemons(nodeLines, expectedNodes);
      return s;
    } catch (Exception | AssertionError e) {
      s.close();
      throw e;
    }
  }

  private void startDaemons(List<String> nodeLines, int expectedNodes) throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x")); // munged wants its socket directory searchable by all
    PrivateMunged m = PrivateMunged.start(dir);
    munged = Optional.of(m);
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    String host = new String(new ProcessBuilder("hostname", "-s").start().getInputStream().readAllBytes()).trim();
    Path conf = dir.resolve("slurm.conf");
    List<String> lines = PrivateSlurmctld.standardLines("slipwaycontract", host, port, m.socket(), dir);
    lines.addAll(nodeLines);
    Files.writeString(conf, String.join("\n", lines) + "\n");
    Files.createDirectories(dir.resolve("state"));
    PrivateSlurmctld ctld = PrivateSlurmctld.start(conf, dir.resolve("slurmctld.pid"), dir.resolve("slurmctld.log"));
    slurmctld = Optional.of(ctld);
    ctld.awaitNodes(expectedNodes, dir.resolve("slurmctld.log"));
  }

  /** Runs commands with SLURM_CONF pointing at this slurmctld's configuration. */
  CommandRunner runner() {
    return slurmctld.orElseThrow().runner();
  }

  @Override
  public void close() throws IOException {
    try {
      slurmctld.ifPresent(PrivateSlurmctld::close);
    } finally {
      munged.ifPresent(PrivateMunged::close);
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
