package dev.slipway.azure.arm;

import java.util.Objects;

/**
 * A marketplace image for controller and login VMs. Batch Shipyard hard-coded Ubuntu 18.04, long
 * out of support; here the default is Canonical's current LTS and any image can be configured.
 */
public record ImageReference(String publisher, String offer, String sku, String version) {
  /** Ubuntu Server 24.04 LTS (Canonical), Gen2, newest build. */
  public static final ImageReference UBUNTU_24_04 = new ImageReference("Canonical", "ubuntu-24_04-lts", "server", "latest");
  /** Ubuntu Server 22.04 LTS (Canonical), Gen2, newest build. */
  public static final ImageReference UBUNTU_22_04 =
      new ImageReference("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "latest");

  public ImageReference {
    Objects.requireNonNull(publisher, "publisher");
    Objects.requireNonNull(offer, "offer");
    Objects.requireNonNull(sku, "sku");
    Objects.requireNonNull(version, "version");
  }

  /**
   * Parses the {@code az vm create --image} URN form {@code publisher:offer:sku:version}, or one of
   * the aliases {@code ubuntu-24.04} and {@code ubuntu-22.04}.
   */
  public static ImageReference parse(String text) {
    switch (text) {
      case "ubuntu-24.04": return UBUNTU_24_04;
      case "ubuntu-22.04": return UBUNTU_22_04;
      default: break;
    }
    String[] parts = text.split(":", -1);
    if (parts.length != 4 || java.util.Arrays.stream(parts).anyMatch(String::isBlank)) {
      throw new IllegalArgumentException("image '" + text + "' is not publisher:offer:sku:version (or ubuntu-24.04, ubuntu-22.04)");
    }
    return new ImageReference(parts[0], parts[1], parts[2], parts[3]);
  }

  public String urn() {
    return publisher + ":" + offer + ":" + sku + ":" + version;
  }
}
