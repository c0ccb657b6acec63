package dev.slipway.azure.pools;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Batch node agent SKU for a marketplace image, which pool.yaml's {@code platform_image} does
 * not name (Batch Shipyard looked it up in a table). Only images whose agent can be told from
 * publisher, offer and sku are known; anything else must use {@code custom_image.node_agent}.
 */
final class NodeAgentSkus {
  private static final Pattern UBUNTU_VERSION = Pattern.compile("(\\d{2})[._](\\d{2})");
  private static final Pattern MAJOR = Pattern.compile("(\\d+)");

  private NodeAgentSkus() {}

  static Optional<String> forPlatformImage(String publisher, String offer, String sku) {
    String pub = publisher.toLowerCase(Locale.ROOT);
    String off = offer.toLowerCase(Locale.ROOT);
    String s = sku.toLowerCase(Locale.ROOT);
    if (pub.equals("canonical")) {
      // UbuntuServer/18.04-LTS, 0001-com-ubuntu-server-jammy/22_04-lts-gen2, ubuntu-24_04-lts/server
      for (String text : new String[] {s, off}) {
        Matcher m = UBUNTU_VERSION.matcher(text);
        if (m.find()) return Optional.of("batch.node.ubuntu " + m.group(1) + "." + m.group(2));
      }
      return Optional.empty();
    }
    if (pub.equals("debian")) {
      Matcher m = MAJOR.matcher(off.startsWith("debian-") ? off : s);
      return m.find() ? Optional.of("batch.node.debian " + m.group(1)) : Optional.empty();
    }
    if (pub.equals("almalinux") || pub.equals("resf") || pub.equals("erockyenterprisesoftwarefoundationinc1653071250513")
        || pub.equals("microsoft-azure-batch") && (off.startsWith("rocky") || off.startsWith("alma") || off.startsWith("centos"))) {
      Matcher m = MAJOR.matcher(s);
      return m.find() ? Optional.of("batch.node.el " + m.group(1)) : Optional.empty();
    }
    return Optional.empty();
  }
}
