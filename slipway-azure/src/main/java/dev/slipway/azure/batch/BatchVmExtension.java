package dev.slipway.azure.batch;

import java.util.Objects;
import java.util.Optional;

/**
 * A VM extension Batch installs on each node of a pool ({@code VMExtension} in the REST
 * description). Slipway uses it for the NVIDIA GPU driver, which Batch Shipyard downloaded and
 * built in its start task; the extension is Azure's supported route and survives image updates.
 */
public record BatchVmExtension(String name, String publisher, String type, Optional<String> typeHandlerVersion, boolean autoUpgradeMinorVersion) {
  /** Microsoft's NVIDIA driver extension for Linux N-series VMs. */
  public static final BatchVmExtension NVIDIA_GPU_DRIVER_LINUX =
      new BatchVmExtension("NvidiaGpuDriverLinux", "Microsoft.HpcCompute", "NvidiaGpuDriverLinux", Optional.of("1.6"), true);

  public BatchVmExtension {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(publisher, "publisher");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(typeHandlerVersion, "typeHandlerVersion");
  }
}
