package dev.slipway.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The start task every compute node runs, {@code slipway-node-join} (POSIX sh and curl; nodes have
 * no Java). It ships inside the jar so that providers can install exactly the script this build's
 * daemon speaks to; docs/join-protocol.md describes its inputs and the wire format.
 */
public final class NodeJoinScript {
  /** Where the script lives on the class path. */
  public static final String RESOURCE = "/dev/slipway/node/slipway-node-join";

  /** The name it is installed under on nodes. */
  public static final String FILE_NAME = "slipway-node-join";

  private NodeJoinScript() {}

  /** The script's text. */
  public static String text() {
    try (InputStream in = NodeJoinScript.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the jar lacks " + RESOURCE + "; rebuild Slipway");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
