package dev.slipway.azure.arm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.config.ClusterConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole dry-run plan of each fixture, compared with a reviewed file in
 * src/test/resources/arm/golden. After an intended change, regenerate with
 * {@code -Dslipway.updateGolden=true} and review the diff.
 */
class ArmPlanGoldenTest {
  private static final Path GOLDEN = Path.of("src/test/resources/arm/golden");

  @ParameterizedTest
  @ValueSource(strings = {"recipe-slurm-nfs", "template", "rich", "azure", "azure+storage-nfs", "recipe-slurm-nfs+storage-nfs"})
  void plan_ofFixture_matchesGolden(String name) throws IOException {
    // "<fixture>+storage-<id>": the plan of create --storage-cluster-id <id>
    String fixture = name.split("\\+")[0];
    ClusterConfig config = ArmFixtures.load(fixture);
    ArmSettings settings = ArmFixtures.settings(config.slurm().clusterId());
    if (fixture.equals("azure")) {
      settings = settings.withSrunPortRange("60001-63000");
    }
    if (name.contains("+storage-")) {
      settings = settings.withStorageCluster(name.substring(name.indexOf("+storage-") + "+storage-".length()));
    }
    String fixtureName = name;
    String json = ArmPlanner.plan(config, settings).toJson() + "\n";
    Path golden = GOLDEN.resolve(fixtureName + ".json");
    if (Boolean.getBoolean("slipway.updateGolden")) {
      Files.createDirectories(GOLDEN);
      Files.writeString(golden, json, StandardCharsets.UTF_8);
    }
    assertThat(json).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
  }
}
