package dev.slipway.model;

import java.util.Locale;
import java.util.Optional;

/**
 * A VM size's resources as Slurm needs them: vCPUs, memory, GPUs (count and model, e.g.
 * {@code tesla_v100}) and the InfiniBand class when the size has RDMA (e.g. {@code edr_ib}).
 * Names are compared case-insensitively ({@code STANDARD_F2} is {@code standard_f2}).
 */
public record VmSize(String name, int vcpus, long memoryMiB, int gpus, Optional<String> gpuModel, Optional<String> rdma) {
  public VmSize {
    name = name.toLowerCase(Locale.ROOT);
    if (vcpus < 1) throw new IllegalArgumentException("vcpus must be >= 1 for " + name);
    if (memoryMiB < 1) throw new IllegalArgumentException("memory must be >= 1 MiB for " + name);
    if (gpus < 0) throw new IllegalArgumentException("gpus must be >= 0 for " + name);
  }
}
