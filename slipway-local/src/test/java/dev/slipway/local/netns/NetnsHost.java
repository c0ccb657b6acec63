package dev.slipway.local.netns;

import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.slurm.ProcessCommandRunner;
import dev.slipway.slurm.CommandRunner;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** What the namespace integration tests need from the machine, and a subnet of their own. */
final class NetnsHost {
  static final CommandRunner RUNNER = new ProcessCommandRunner();

  private NetnsHost() {}

  /** Skips the calling test class unless we are root with ip, nsenter and unshare --time working. */
  static void assumeUsable() {
    assumeThat(System.getProperty("user.name")).as("netns tests need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)").isEqualTo("root");
    assumeThat(RUNNER.run(List.of("ip", "netns", "list"), Duration.ofSeconds(10)).ok())
        .as("netns tests need iproute2's 'ip netns'").isTrue();
    assumeThat(RUNNER.run(List.of("nsenter", "--version"), Duration.ofSeconds(10)).ok())
        .as("netns tests need nsenter (util-linux)").isTrue();
    assumeThat(RUNNER.run(List.of("unshare", "--uts", "--time", "--fork", "--boottime", "0", "true"), Duration.ofSeconds(10)).ok())
        .as("netns tests need 'unshare --time' (util-linux >= 2.36, kernel >= 5.6 with time namespaces)").isTrue();
  }

  /** A /24 in 10.213.0.0/16 that other test classes are unlikely to pick at the same time. */
  static Subnet randomSubnet() {
    return Subnet.parse("10.213." + ThreadLocalRandom.current().nextInt(256) + ".0/24");
  }

  /** Names of everything in the root namespace (links) and the namespace list that start with {@code prefix}. */
  static List<String> leftovers(String hashPrefix) {
    String netns = RUNNER.run(List.of("ip", "netns", "list"), Duration.ofSeconds(10)).stdout();
    String links = RUNNER.run(List.of("ip", "-o", "link", "show"), Duration.ofSeconds(10)).stdout();
    return java.util.stream.Stream.concat(netns.lines(), links.lines())
        .filter(l -> l.contains("sw-" + hashPrefix) || l.contains("v" + hashPrefix + "-"))
        .toList();
  }
}
