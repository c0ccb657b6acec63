package dev.slipway.slurm;

import java.util.LinkedHashMap;
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
}
