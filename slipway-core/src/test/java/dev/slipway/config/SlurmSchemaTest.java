package dev.slipway.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * docs/schema/slurm.schema.json accepts every fixture, rejects what the loader rejects for shape,
 * and names exactly the keys the loader accepts ({@link SlurmYamlKeys}).
 */
class SlurmSchemaTest {
  /** Surefire runs in the module directory; the schema is published from the repository's docs. */
  static final Path SCHEMA = Path.of("..", "docs", "schema", "slurm.schema.json");

  private static JsonNode schemaJson() throws IOException {
    return new ObjectMapper().readTree(Files.readString(SCHEMA));
  }

  private static Schema schema() throws IOException {
    return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schemaJson());
  }

  private static List<String> validate(String yaml) throws IOException {
    JsonNode doc = new YAMLMapper().readTree(yaml);
    return schema().validate(doc).stream().map(Error::toString).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"recipe-slurm-nfs/slurm.yaml", "template/slurm.yaml", "rich/slurm.yaml"})
  void fixture_isValidAgainstTheSchema(String name) throws IOException {
    assertThat(validate(Files.readString(ConfigLoaderFixturesTest.fixture(name)))).isEmpty();
  }

  @Test
  void minimal_isValid_andTheSchemaRejectsWhatTheLoaderRejects() throws IOException {
    assertThat(validate(ConfigFixture.MINIMAL)).isEmpty();
    assertThat(validate(ConfigFixture.minimalWith("cluster_id: demo", "cluster_id: Demo_1"))).isNotEmpty();
    assertThat(validate(ConfigFixture.minimalWith("max_compute_nodes: 4", "max_compute_nodes: 0"))).isNotEmpty();
    assertThat(validate(ConfigFixture.minimalWith("compute_node_type: dedicated", "compute_node_type: spot"))).isNotEmpty();
    assertThat(validate(ConfigFixture.minimalWith("weight: 0", "wieght: 0"))).isNotEmpty();
    assertThat(validate(ConfigFixture.minimalWith("    vm_count: 1\n  login", "    vm_count: 4\n  login"))).isNotEmpty();
    assertThat(validate(ConfigFixture.MINIMAL + "slipway:\n  backend: azure\n")).isNotEmpty();
    assertThat(validate(ConfigFixture.MINIMAL + "slipway:\n  resume_timeout: 00:75:00\n")).isNotEmpty();
  }

  @Test
  void schemaKeys_areExactlyTheLoadersKeys() throws IOException {
    JsonNode root = schemaJson();
    Map<String, Set<String>> fromSchema = new TreeMap<>();
    collect(root, root, "", fromSchema);
    Map<String, Set<String>> fromLoader = new TreeMap<>();
    SlurmYamlKeys.ALLOWED.forEach((k, v) -> fromLoader.put(k, new TreeSet<>(v)));
    assertThat(fromSchema).isEqualTo(fromLoader);
  }

  /** Walks properties, named-entry maps (additionalProperties), list items and local $refs. */
  private static void collect(JsonNode root, JsonNode node, String position, Map<String, Set<String>> out) {
    if (node.has("$ref")) {
      String ref = node.get("$ref").asText();
      collect(root, root.at(ref.substring(1)), position, out);
    }
    if (node.has("properties")) {
      Set<String> keys = out.computeIfAbsent(position, k -> new TreeSet<>());
      for (Iterator<Map.Entry<String, JsonNode>> it = node.get("properties").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        keys.add(e.getKey());
        collect(root, e.getValue(), position.isEmpty() ? e.getKey() : position + "." + e.getKey(), out);
      }
    }
    if (node.has("additionalProperties") && node.get("additionalProperties").isObject()) {
      collect(root, node.get("additionalProperties"), position + ".*", out);
    }
    if (node.has("items") && node.get("items").isObject()) {
      collect(root, node.get("items"), position + "[]", out);
    }
  }
}
