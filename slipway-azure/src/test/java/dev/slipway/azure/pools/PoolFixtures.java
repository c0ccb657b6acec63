package dev.slipway.azure.pools;

import dev.slipway.config.ClusterConfig;
import dev.slipway.config.ConfigLoader;
import dev.slipway.slurm.VmSizeCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Batch Shipyard's Slurm+NFS recipe (test resources, MIT licence), as is or with pool.yaml replaced. */
final class PoolFixtures {
  private PoolFixtures() {}

  static Path recipe() {
    try {
      return Path.of(PoolFixtures.class.getResource("/fixtures/batch-shipyard/recipe-slurm-nfs").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static ClusterConfig load(Path dir) {
    VmSizeCatalog catalog = VmSizeCatalog.shipped();
    return new ConfigLoader(name -> catalog.find(name).isPresent()).loadDirectory(dir).config();
  }

  static ClusterConfig recipeConfig() {
    return load(recipe());
  }

  /** The recipe copied into {@code dir} with each (file, old, new) text replacement applied. */
  static ClusterConfig recipeWith(Path dir, String file, String old, String replacement) {
    try (Stream<Path> files = Files.list(recipe())) {
      for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName().toString()));
      Path target = dir.resolve(file);
      String text = Files.readString(target);
      if (!text.contains(old)) throw new IllegalArgumentException(file + " lacks " + old);
      Files.writeString(target, text.replace(old, replacement));
      return load(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The recipe copied into {@code dir} with pool.yaml's text replaced. */
  static ClusterConfig recipeWithPoolYaml(Path dir, String poolYaml) {
    try (Stream<Path> files = Files.list(recipe())) {
      for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName().toString()));
      Files.writeString(dir.resolve("pool.yaml"), poolYaml);
      return load(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
