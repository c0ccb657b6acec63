package dev.slipway.local.netns;

import java.util.Objects;

/**
 * An IPv4 subnet of the local backend, e.g. {@code 10.211.0.0/24}. Only private ranges (RFC 1918)
 * are accepted: the namespaces get no default route and the host forwards nothing, and refusing
 * public ranges makes sure that a typo cannot shadow a real network the machine talks to.
 *
 * <p>Host offsets count from the network address: offset 1 is {@code .1} in a /24.
 */
public record Subnet(int network, int prefixLength) {
  /** The smallest subnet that holds the bridge, the controller range and a few compute nodes. */
  public static final int LONGEST_PREFIX = 27;

  public Subnet {
    if (prefixLength < 8 || prefixLength > LONGEST_PREFIX) {
      throw new IllegalArgumentException("subnet prefix /" + prefixLength + " is not allowed; allowed: /8 to /" + LONGEST_PREFIX);
    }
    if ((network & ~mask(prefixLength)) != 0) {
      throw new IllegalArgumentException("subnet " + format(network) + "/" + prefixLength + " has host bits set; did you mean "
          + format(network & mask(prefixLength)) + "/" + prefixLength + "?");
    }
    if (!isPrivate(network, prefixLength)) {
      throw new IllegalArgumentException("subnet " + format(network) + "/" + prefixLength
          + " is not a private range; allowed: inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16");
    }
  }

  /** Parses {@code a.b.c.d/n}. */
  public static Subnet parse(String cidr) {
    Objects.requireNonNull(cidr, "cidr");
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("'" + cidr + "' is not an IPv4 subnet; expected a.b.c.d/n");
    }
    int prefix;
    try {
      prefix = Integer.parseInt(cidr.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + cidr + "' is not an IPv4 subnet; expected a.b.c.d/n", e);
    }
    return new Subnet(parseAddress(cidr.substring(0, slash)), prefix);
  }

  static int parseAddress(String dotted) {
    String[] parts = dotted.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("'" + dotted + "' is not an IPv4 address");
    }
    int value = 0;
    for (String part : parts) {
      int octet;
      try {
        octet = Integer.parseInt(part);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + dotted + "' is not an IPv4 address", e);
      }
      if (octet < 0 || octet > 255 || part.isEmpty() || part.length() > 3) {
        throw new IllegalArgumentException("'" + dotted + "' is not an IPv4 address");
      }
      value = (value << 8) | octet;
    }
    return value;
  }

  static String format(int address) {
    return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
  }

  private static int mask(int prefix) {
    return prefix == 0 ? 0 : -1 << (32 - prefix);
  }

  private static boolean isPrivate(int network, int prefix) {
    return within(network, prefix, parseAddress("10.0.0.0"), 8)
        || within(network, prefix, parseAddress("172.16.0.0"), 12)
        || within(network, prefix, parseAddress("192.168.0.0"), 16);
  }

  private static boolean within(int network, int prefix, int range, int rangePrefix) {
    return prefix >= rangePrefix && (network & mask(rangePrefix)) == range;
  }

  /** Number of usable host offsets: 1 .. size-2 (the network and broadcast addresses excluded). */
  public int lastHostOffset() {
    return (1 << (32 - prefixLength)) - 2;
  }

  /** The dotted address of host offset {@code offset}. */
  public String address(int offset) {
    if (offset < 1 || offset > lastHostOffset()) {
      throw new IllegalArgumentException("host offset " + offset + " is outside " + this + " (1.." + lastHostOffset() + ")");
    }
    return format(network + offset);
  }

  /** {@code address/prefix}, the form {@code ip addr add} takes. */
  public String cidrOf(int offset) {
    return address(offset) + "/" + prefixLength;
  }

  @Override
  public String toString() {
    return format(network) + "/" + prefixLength;
  }
}
