package dev.slipway.cli.daemon;

import dev.slipway.model.Secret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What joining nodes mount, as the provisioner left it in the cluster's secrets directory:
 * {@value #MOUNTS_FILE} (fstab lines, {@code #} comments allowed) and one {@value #SECRET_PREFIX}
 * {@code <name>} file per secret the nodes write before mounting (a cifs share's credentials).
 * The daemon only passes them on; it does not know which backend wrote them. Both absent (the
 * local backend, an Azure cluster without a log share) means nothing to mount.
 */
public record NodeMounts(List<String> mounts, Map<String, Secret> secretFiles) {
  /** fstab lines of what every node mounts before slurmd starts. */
  public static final String MOUNTS_FILE = "node-mounts";
  /** {@code node-secret-<name>}: the content of the node's {@code <node dir>/secrets/<name>}. */
  public static final String SECRET_PREFIX = "node-secret-";

  public NodeMounts {
    mounts = List.copyOf(mounts);
    secretFiles = Map.copyOf(secretFiles);
  }

  /** Reads {@code secretsDir}'s node files. */
  public static NodeMounts read(Path secretsDir) {
    try {
      Path mountsFile = secretsDir.resolve(MOUNTS_FILE);
      List<String> mounts = Files.exists(mountsFile)
          ? Files.readAllLines(mountsFile, StandardCharsets.UTF_8).stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList()
          : List.of();
      Map<String, Secret> secrets = new TreeMap<>();
      if (Files.isDirectory(secretsDir)) {
        try (Stream<Path> files = Files.list(secretsDir)) {
          for (Path f : files.filter(f -> f.getFileName().toString().startsWith(SECRET_PREFIX)).toList()) {
            secrets.put(f.getFileName().toString().substring(SECRET_PREFIX.length()), Secret.of(Files.readString(f, StandardCharsets.UTF_8)));
          }
        }
      }
      return new NodeMounts(mounts, secrets);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the nodes' mounts in " + secretsDir, e);
    }
  }

  @Override
  public String toString() {
    return "NodeMounts[mounts=" + mounts.size() + ", secretFiles=" + secretFiles.keySet() + "]";
  }
}
