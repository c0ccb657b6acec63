package dev.slipway.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenderedSlurmConfTest {
  @TempDir Path dir;

  @Test
  void writeTo_writesEveryFileAndNoTemporaryOnes() throws IOException {
    new RenderedSlurmConf("slurm\n", Optional.of("gres\n"), "cgroup\n").writeTo(dir.resolve("etc"));
    assertThat(list(dir.resolve("etc"))).containsExactly("cgroup.conf", "gres.conf", "slurm.conf");
    assertThat(dir.resolve("etc/gres.conf")).hasContent("gres");
  }

  @Test
  void writeTo_replacesFiles_andRemovesAGresConfThatIsNoLongerRendered() throws IOException {
    new RenderedSlurmConf("old\n", Optional.of("gres\n"), "cgroup\n").writeTo(dir);
    new RenderedSlurmConf("new\n", Optional.empty(), "cgroup\n").writeTo(dir);
    assertThat(list(dir)).containsExactly("cgroup.conf", "slurm.conf");
    assertThat(dir.resolve("slurm.conf")).hasContent("new");
  }

  private static java.util.List<String> list(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
