package dev.slipway.azure.bootstrap;

import dev.slipway.azure.arm.PlannedFileServer;
import dev.slipway.azure.arm.UserDataSource;
import dev.slipway.azure.arm.VmRole;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * The custom data of every VM of a plan: {@link CloudInit} for controllers and login nodes,
 * {@link FileServerInit} for the storage cluster's NFS server. The documents hold the munge key
 * and join tokens, so callers show them only as {@link #fingerprint} (size and SHA-256).
 */
public final class ClusterUserData implements UserDataSource {
  private final BootstrapInputs inputs;
  private final Optional<PlannedFileServer> fileServer;

  public ClusterUserData(BootstrapInputs inputs, Optional<PlannedFileServer> fileServer) {
    this.inputs = Objects.requireNonNull(inputs, "inputs");
    this.fileServer = Objects.requireNonNull(fileServer, "fileServer");
  }

  @Override
  public String forVm(VmRole role, int index) {
    return switch (role) {
      case CONTROLLER -> CloudInit.render(inputs, Role.controller(index));
      case LOGIN -> CloudInit.render(inputs, Role.login(index));
      case STORAGE -> FileServerInit.render(fileServer.orElseThrow(() ->
          new IllegalArgumentException("the plan has a storage VM but no file server was given")));
    };
  }

  /** What a plan may show of custom data: {@code 12345 bytes, sha256 ab12...} (never the text: it holds secrets). */
  public static String fingerprint(String customData) {
    byte[] bytes = customData.getBytes(StandardCharsets.UTF_8);
    try {
      return bytes.length + " bytes, sha256 " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "ClusterUserData[" + inputs + "]";
  }
}
