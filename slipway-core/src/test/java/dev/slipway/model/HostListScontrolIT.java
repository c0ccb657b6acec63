package dev.slipway.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compares {@link HostList} with the real {@code scontrol show hostnames} and {@code scontrol show
 * hostlist} on a few hundred seeded random cases. Those two subcommands never contact slurmctld,
 * but scontrol refuses to start without a configuration ("Could not establish a configuration
 * source"), so the test writes a two-line slurm.conf and points SLURM_CONF at it. Skipped when
 * scontrol is not installed (Debian package slurm-client).
 */
class HostListScontrolIT {
  private static final int CASES = 300;

  @TempDir static Path dir;
  private static Path scontrol;
  private static Path slurmConf;

  @BeforeAll
  static void findScontrol() throws IOException {
    Optional<Path> found = onPath("scontrol");
    Assumptions.assumeTrue(found.isPresent(),
        "scontrol is not on PATH: install the Debian package slurm-client to compare hostlists with Slurm");
    scontrol = found.get();
    slurmConf = dir.resolve("slurm.conf");
    Files.writeString(slurmConf, "ClusterName=hostlistit\nSlurmctldHost=localhost\n");
  }

  @Test
  void expand_randomExpressions_matchesScontrolShowHostnames() throws Exception {
    Random rnd = new Random(7_2026_11_26L);
    for (int i = 0; i < CASES; i++) {
      String expression = HostListCases.randomExpression(rnd);
      List<String> slurm = scontrol("show", "hostnames", expression);
      assertThat(HostList.parse(expression).stream().toList()).as(expression).isEqualTo(slurm);
    }
  }

  @Test
  void compress_randomNames_matchesScontrolShowHostlist() throws Exception {
    Random rnd = new Random(11_2026_11_26L);
    for (int i = 0; i < CASES; i++) {
      List<String> names = HostListCases.randomNames(rnd);
      String joined = String.join(",", names);
      List<String> slurm = scontrol("show", "hostlist", joined);
      assertThat(slurm).as(joined).hasSize(1);
      assertThat(HostList.compress(names).toString()).as(joined).isEqualTo(slurm.get(0));
    }
  }

  @Test
  void expand_largestRangeSlurmAccepts_matchesScontrol() throws Exception {
    String expression = "h-[0-" + (HostList.SLURM_MAX_RANGE_HOSTS - 1) + "],h-[065536-065600]";
    assertThat(HostList.parse(expression).stream().toList()).isEqualTo(scontrol("show", "hostnames", expression));
  }

  @Test
  void parse_expressionsSlurmRejects_areRejectedToo() throws Exception {
    for (String expression : List.of("gpu-[0-3]x", "n[1-9:2]", "n[5-1]", "n[a-b]", "n[]", "n[1,]", "n[1-2]]",
        "n[1-2-3]", "n[-2]", "a[1-2]b[3-4]c", "n[1 2]")) {
      Output slurm = run("show", "hostnames", expression);
      // scontrol exits 0 even then; it reports on stderr
      assertThat(slurm.stderr()).as(expression).contains("Invalid hostlist");
      assertThatThrownBy(() -> HostList.parse(expression)).as(expression)
          .isInstanceOf(HostlistSyntaxException.class);
    }
  }

  private record Output(List<String> stdout, String stderr) {}

  /** Runs scontrol, expecting success and a silent stderr; returns stdout's lines. */
  private static List<String> scontrol(String... args) throws IOException, InterruptedException {
    Output output = run(args);
    assertThat(output.stderr()).as("scontrol stderr for %s", Arrays.toString(args)).isEmpty();
    return output.stdout();
  }

  private static Output run(String... args) throws IOException, InterruptedException {
    // "--" ends scontrol's options: generated names may start with '-'.
    String[] command = new String[args.length + 2];
    command[0] = scontrol.toString();
    command[1] = "--";
    System.arraycopy(args, 0, command, 2, args.length);
    Path stderr = Files.createTempFile(dir, "scontrol", ".err");
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("SLURM_CONF", slurmConf.toString());
    pb.redirectError(stderr.toFile());
    Process p = pb.start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        throw new IOException("scontrol did not finish: " + Arrays.toString(args));
      }
      assertThat(p.exitValue()).as("scontrol exit code for %s", Arrays.toString(args)).isZero();
      return new Output(new String(out, StandardCharsets.UTF_8).lines().toList(), Files.readString(stderr));
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(stderr);
    }
  }

  private static Optional<Path> onPath(String program) {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    return Arrays.stream(path.split(File.pathSeparator))
        .filter(d -> !d.isEmpty())
        .map(d -> Path.of(d, program))
        .filter(Files::isExecutable)
        .findFirst();
  }
}
