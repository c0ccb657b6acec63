package dev.slipway.azure.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validator for the part of Swagger 2.0 schemas the Batch description uses: $ref into
 * definitions, allOf, type, enum, required, properties, additionalProperties, items, and the
 * formats date-time, duration and int32. It reports every violation with its JSON path, so a
 * failing conformance test says exactly which field is wrong.
 */
public final class SwaggerSchema {
  public static final String RESOURCE = "/azure-batch-rest/BatchService-2025-06-01.21.0-subset.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final JsonNode doc;

  private SwaggerSchema(JsonNode doc) {
    this.doc = doc;
  }

  public static SwaggerSchema load() {
    return new SwaggerSchema(resource(RESOURCE));
  }

  public static JsonNode resource(String name) {
    try (InputStream in = SwaggerSchema.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("missing test resource " + name);
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An operation: its path template, HTTP method and description. */
  public record Operation(String id, String pathTemplate, String method, JsonNode node) {
    public Optional<JsonNode> bodyParameter() {
      for (JsonNode p : node.path("parameters")) {
        if ("body".equals(p.path("in").asText())) return Optional.of(p);
      }
      return Optional.empty();
    }

    public Optional<JsonNode> responseSchema(String status) {
      return Optional.ofNullable(node.path("responses").path(status).get("schema"));
    }

    /** Whether a concrete path such as /pools/p1/resize fits this operation's template. */
    public boolean matches(String method, String path) {
      if (!this.method.equalsIgnoreCase(method)) return false;
      String[] t = pathTemplate.split("/");
      String[] p = path.split("/");
      if (t.length != p.length) return false;
      for (int i = 0; i < t.length; i++) {
        if (!t[i].startsWith("{") && !t[i].equals(p[i])) return false;
      }
      return true;
    }
  }

  public Operation operation(String operationId) {
    return operations().stream().filter(o -> o.id().equals(operationId)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no operation " + operationId));
  }

  public List<Operation> operations() {
    List<Operation> out = new ArrayList<>();
    doc.path("paths").properties().forEach(path -> path.getValue().properties().forEach(m ->
        out.add(new Operation(m.getValue().path("operationId").asText(), path.getKey(), m.getKey().toUpperCase(), m.getValue()))));
    return out;
  }

  /** All violations of {@code schema} by {@code value}; empty when it conforms. */
  public List<String> validate(JsonNode schema, JsonNode value) {
    List<String> errors = new ArrayList<>();
    check(schema, value, "$", errors, 0);
    return errors;
  }

  private void check(JsonNode schema, JsonNode v, String path, List<String> errors, int depth) {
    if (depth > 64) throw new IllegalStateException("schema recursion too deep at " + path);
    if (schema.has("$ref")) {
      check(resolve(schema.get("$ref").asText()), v, path, errors, depth + 1);
      // Swagger ignores siblings of $ref, so stop here.
      return;
    }
    for (JsonNode part : schema.path("allOf")) {
      check(part, v, path, errors, depth + 1);
    }
    String type = schema.path("type").asText("");
    if (!type.isEmpty() && !hasType(v, type)) {
      errors.add(path + ": expected " + type + " but was " + v.getNodeType());
      return;
    }
    if (schema.has("enum")) {
      boolean found = false;
      for (JsonNode e : schema.get("enum")) {
        if (e.equals(v)) found = true;
      }
      if (!found) errors.add(path + ": " + v + " is not one of " + schema.get("enum"));
    }
    String format = schema.path("format").asText("");
    if (v.isTextual()) {
      try {
        if (format.equals("date-time")) OffsetDateTime.parse(v.asText());
        if (format.equals("duration")) Duration.parse(v.asText());
      } catch (RuntimeException e) {
        errors.add(path + ": '" + v.asText() + "' is not a valid " + format);
      }
    }
    if (format.equals("int32") && v.isIntegralNumber() && !v.canConvertToInt()) {
      errors.add(path + ": " + v + " does not fit int32");
    }
    if (v.isObject()) {
      for (JsonNode r : schema.path("required")) {
        if (!v.has(r.asText())) errors.add(path + ": missing required property '" + r.asText() + "'");
      }
      JsonNode props = schema.path("properties");
      Iterator<Map.Entry<String, JsonNode>> it = v.properties().iterator();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> f = it.next();
        if (props.has(f.getKey())) {
          check(props.get(f.getKey()), f.getValue(), path + "." + f.getKey(), errors, depth + 1);
        } else if (schema.get("additionalProperties") != null && schema.get("additionalProperties").isObject()) {
          check(schema.get("additionalProperties"), f.getValue(), path + "." + f.getKey(), errors, depth + 1);
        }
      }
    }
    if (v.isArray() && schema.has("items")) {
      for (int i = 0; i < v.size(); i++) {
        check(schema.get("items"), v.get(i), path + "[" + i + "]", errors, depth + 1);
      }
    }
  }

  /** Properties the value has that the schema does not declare (a typo check for our own output). */
  public List<String> undeclared(JsonNode schema, JsonNode v) {
    JsonNode s = schema.has("$ref") ? resolve(schema.get("$ref").asText()) : schema;
    List<String> out = new ArrayList<>();
    v.fieldNames().forEachRemaining(n -> {
      if (!s.path("properties").has(n)) out.add(n);
    });
    return out;
  }

  private static boolean hasType(JsonNode v, String type) {
    return switch (type) {
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "string" -> v.isTextual();
      case "integer" -> v.isIntegralNumber();
      case "number" -> v.isNumber();
      case "boolean" -> v.isBoolean();
      default -> true;
    };
  }

  private JsonNode resolve(String ref) {
    if (!ref.startsWith("#/")) throw new IllegalArgumentException("external $ref not supported: " + ref);
    JsonNode n = doc;
    for (String part : ref.substring(2).split("/")) {
      n = n.path(part.replace("~1", "/").replace("~0", "~"));
    }
    if (n.isMissingNode()) throw new IllegalArgumentException("unresolved $ref " + ref);
    return n;
  }
}
