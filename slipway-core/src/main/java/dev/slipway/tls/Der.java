package dev.slipway.tls;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The few DER (X.690) encodings a self-signed certificate and a PKCS#8 EC key need, and a reader
 * for walking one back. The JDK parses certificates and keys but has no public API that writes a
 * certificate, and BouncyCastle would be a large dependency for about a hundred lines.
 */
final class Der {
  static final int INTEGER = 0x02;
  static final int BIT_STRING = 0x03;
  static final int OCTET_STRING = 0x04;
  static final int SEQUENCE = 0x30;

  private Der() {}

  static byte[] tlv(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
    out.write(tag);
    int n = content.length;
    if (n < 0x80) {
      out.write(n);
    } else {
      // Long form: 0x80 | number of length bytes, then the length big-endian.
      byte[] len = BigInteger.valueOf(n).toByteArray();
      int skip = len[0] == 0 ? 1 : 0;
      out.write(0x80 | (len.length - skip));
      out.write(len, skip, len.length - skip);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  static byte[] sequence(byte[]... parts) {
    return tlv(SEQUENCE, concat(parts));
  }

  static byte[] set(byte[]... parts) {
    return tlv(0x31, concat(parts));
  }

  /** {@code [n] EXPLICIT}: a constructed context-specific tag around one encoding. */
  static byte[] explicit(int n, byte[] inner) {
    return tlv(0xA0 | n, inner);
  }

  static byte[] integer(BigInteger value) {
    return tlv(INTEGER, value.toByteArray());
  }

  static byte[] octetString(byte[] value) {
    return tlv(OCTET_STRING, value);
  }

  /** A BIT STRING of whole bytes (no unused bits). */
  static byte[] bitString(byte[] value) {
    return tlv(BIT_STRING, concat(new byte[] {0}, value));
  }

  static byte[] utf8String(String s) {
    return tlv(0x0C, s.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] oid(String dotted) {
    String[] arcs = dotted.split("\\.");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Integer.parseInt(arcs[0]) * 40 + Integer.parseInt(arcs[1]));
    for (int i = 2; i < arcs.length; i++) {
      long arc = Long.parseLong(arcs[i]);
      // base 128, most significant group first, continuation bit on all but the last
      int groups = 1;
      for (long v = arc >>> 7; v != 0; v >>>= 7) {
        groups++;
      }
      for (int g = groups - 1; g >= 0; g--) {
        int b = (int) ((arc >>> (7 * g)) & 0x7F);
        out.write(g == 0 ? b : b | 0x80);
      }
    }
    return tlv(0x06, out.toByteArray());
  }

  /** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 on. */
  static byte[] time(ZonedDateTime t) {
    ZonedDateTime utc = t.withZoneSameInstant(ZoneOffset.UTC).withNano(0);
    if (utc.getYear() < 2050) {
      return tlv(0x17, utc.format(DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'")).getBytes(StandardCharsets.US_ASCII));
    }
    return tlv(0x18, utc.format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'")).getBytes(StandardCharsets.US_ASCII));
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** One decoded TLV: its tag and content bytes. */
  record Element(int tag, byte[] content) {
    /** The elements inside a constructed encoding (SEQUENCE, SET, explicit tag). */
    List<Element> children() {
      return parseAll(content);
    }
  }

  static List<Element> parseAll(byte[] der) {
    List<Element> out = new ArrayList<>();
    int i = 0;
    while (i < der.length) {
      if (i + 2 > der.length) {
        throw new IllegalArgumentException("truncated DER at offset " + i);
      }
      int tag = der[i++] & 0xFF;
      int len = der[i++] & 0xFF;
      if (len >= 0x80) {
        int count = len & 0x7F;
        if (count == 0 || count > 3 || i + count > der.length) {
          throw new IllegalArgumentException("unsupported DER length at offset " + (i - 1));
        }
        len = 0;
        for (int k = 0; k < count; k++) {
          len = (len << 8) | (der[i++] & 0xFF);
        }
      }
      if (i + len > der.length) {
        throw new IllegalArgumentException("DER element runs past the end at offset " + i);
      }
      byte[] content = new byte[len];
      System.arraycopy(der, i, content, 0, len);
      out.add(new Element(tag, content));
      i += len;
    }
    return out;
  }

  static Element parseOne(byte[] der) {
    List<Element> all = parseAll(der);
    if (all.size() != 1) {
      throw new IllegalArgumentException("expected one DER element, found " + all.size());
    }
    return all.get(0);
  }
}
