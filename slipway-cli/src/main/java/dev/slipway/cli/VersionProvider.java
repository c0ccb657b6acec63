package dev.slipway.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** Reads the version Maven wrote into slipway-version.properties. */
final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() throws IOException {
    Properties p = new Properties();
    try (InputStream in = VersionProvider.class.getResourceAsStream("/slipway-version.properties")) {
      if (in != null) {
        p.load(in);
      }
    }
    return new String[] {"slipway " + p.getProperty("version", "unknown") + " (Java " + Runtime.version() + ")"};
  }
}
