package dev.slipway.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** Writes configuration text into a directory and loads it, for tests that check messages. */
final class ConfigFixture {
  /** The VM sizes the tests pretend the catalog knows. */
  static final KnownVmSizes CATALOG =
      Set.of("standard_f2", "standard_f16s_v2", "standard_nc24rs_v3", "standard_d2_v3")::contains;

  /** A small valid slurm.yaml for the local backend; tests replace single lines of it. */
  static final String MINIMAL = """
      slurm:
        cluster_id: demo
        controller:
          ssh:
            username: admin
          vm_size: standard_d2_v3
          vm_count: 1
        login:
          ssh:
            username: alice
          vm_size: standard_d2_v3
          vm_count: 1
        shared_data_volumes:
          nfs:
            host_mount_path: /shared
            store_slurmctld_state: true
        slurm_options:
          elastic_partitions:
            part:
              batch_pools:
                pool1:
                  compute_node_type: dedicated
                  max_compute_nodes: 4
                  weight: 0
                  vm_size: standard_f2
              default: true
      """;

  private final Path dir;

  ConfigFixture(Path dir) {
    this.dir = dir;
  }

  Path slurmFile() {
    return dir.resolve("slurm.yaml");
  }

  ConfigFixture write(String name, String text) {
    try {
      Files.writeString(dir.resolve(name), text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** MINIMAL with {@code from} replaced by {@code to} (which must occur exactly once). */
  static String minimalWith(String from, String to) {
    return replace(MINIMAL, from, to);
  }

  static String replace(String text, String from, String to) {
    int i = text.indexOf(from);
    if (i < 0 || text.indexOf(from, i + 1) >= 0) throw new IllegalArgumentException("not exactly once: " + from);
    return text.substring(0, i) + to + text.substring(i + from.length());
  }

  LoadedConfig load() {
    return new ConfigLoader(CATALOG).loadDirectory(dir);
  }

  /** The formatted errors of a load that must fail. */
  List<String> errors() {
    try {
      load();
    } catch (ConfigException e) {
      return e.problems().stream().map(ConfigProblem::format).toList();
    }
    throw new AssertionError("expected the configuration to be invalid");
  }

  List<String> warnings() {
    return load().warnings().stream().map(ConfigProblem::format).toList();
  }

  /** {@code file:line:col} prefix of slurm.yaml in this directory. */
  String at(int line, int col) {
    return slurmFile() + ":" + line + ":" + col;
  }
}
