package dev.slipway.slurm;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The configuration files of one cluster as text: {@code slurm.conf}, {@code cgroup.conf} and,
 * when a pool has GPUs, {@code gres.conf}. slurmctld serves all of them to slurmd (configless).
 */
public record RenderedSlurmConf(String slurmConf, Optional<String> gresConf, String cgroupConf) {
  public static final String SLURM_CONF = "slurm.conf";
  public static final String GRES_CONF = "gres.conf";
  public static final String CGROUP_CONF = "cgroup.conf";

  public RenderedSlurmConf {
    Objects.requireNonNull(slurmConf, "slurmConf");
    Objects.requireNonNull(gresConf, "gresConf");
    Objects.requireNonNull(cgroupConf, "cgroupConf");
  }

  /** File name to content, in a fixed order. */
  public Map<String, String> files() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put(SLURM_CONF, slurmConf);
    gresConf.ifPresent(g -> files.put(GRES_CONF, g));
    files.put(CGROUP_CONF, cgroupConf);
    return files;
  }

  /**
   * Writes the files into {@code dir} so that a reader (slurmctld on reconfigure, a controller
   * copying them) never sees a half-written file: each file is written and synced under a
   * temporary name first, and only when all are complete are they renamed into place. A
   * {@code gres.conf} left from an earlier rendering with GPUs is removed, because slurmctld
   * would keep serving it to nodes. On failure the temporary files are removed.
   *
   * @return the paths written, in {@link #files()} order
   */
  public List<Path> writeTo(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<Path, Path> staged = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, String> file : files().entrySet()) {
        Path tmp = Files.createTempFile(dir, "." + file.getKey() + ".", ".tmp");
        staged.put(tmp, dir.resolve(file.getKey()));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
          ch.write(StandardCharsets.UTF_8.encode(file.getValue()));
          ch.force(true);
        }
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
      }
      for (Map.Entry<Path, Path> move : staged.entrySet()) {
        Files.move(move.getKey(), move.getValue(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      for (Path tmp : staged.keySet()) {
        Files.deleteIfExists(tmp);
      }
    }
    if (gresConf.isEmpty()) {
      Files.deleteIfExists(dir.resolve(GRES_CONF));
    }
    return List.copyOf(staged.values());
  }
}
