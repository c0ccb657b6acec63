package dev.slipway.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A YAML mapping as the loader reads it: typed accessors that report wrong types, missing
 * required keys and unknown keys to a {@link ProblemCollector}, each located at the line and
 * column the user typed. Scalars are resolved with YAML 1.1 rules (snakeyaml), as Batch Shipyard's
 * Python loader did, so a plain {@code no} is a boolean and {@code 00:30:00} stays a string.
 * A key with a null value ({@code key:} or {@code key: null}) counts as absent.
 */
final class YamlMap {
  private final Path file;
  private final ProblemCollector problems;
  private final String path;
  private final Mark anchor;
  private final Map<String, NodeTuple> entries;

  private YamlMap(Path file, ProblemCollector problems, String path, Mark anchor, Map<String, NodeTuple> entries) {
    this.file = file;
    this.problems = problems;
    this.path = path;
    this.anchor = anchor;
    this.entries = entries;
  }

  /**
   * Parses a file whose top level must be a mapping. Syntax errors and a non-mapping top level are
   * reported; an empty file is an empty mapping.
   */
  static Optional<YamlMap> parseFile(Path file, ProblemCollector problems) {
    if (!Files.isRegularFile(file)) {
      problems.fileError(file, "file not found", null);
      return Optional.empty();
    }
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(true); // duplicates are reported by us, with both positions
    Yaml yaml = new Yaml(new SafeConstructor(options));
    Node root;
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      root = yaml.compose(reader);
    } catch (MarkedYAMLException e) {
      String what = e.getProblem() == null ? "not valid YAML" : "not valid YAML: " + e.getProblem();
      problems.error(file, e.getProblemMark(), "", what, null);
      return Optional.empty();
    } catch (YAMLException | IOException e) {
      problems.fileError(file, "cannot read: " + e.getMessage(), null);
      return Optional.empty();
    }
    if (root == null) {
      return Optional.of(new YamlMap(file, problems, "", null, Map.of()));
    }
    return of(file, problems, "", root.getStartMark(), root);
  }

  private static Optional<YamlMap> of(Path file, ProblemCollector problems, String path, Mark anchor, Node node) {
    if (!(node instanceof MappingNode m)) {
      problems.error(file, node, path, "expected a mapping (key: value lines), got " + describe(node), null);
      return Optional.empty();
    }
    Map<String, NodeTuple> entries = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode k)) {
        problems.error(file, t.getKeyNode(), path, "a key must be a plain word, got " + describe(t.getKeyNode()), null);
        continue;
      }
      NodeTuple previous = entries.putIfAbsent(k.getValue(), t);
      if (previous != null) {
        problems.error(file, k, join(path, k.getValue()),
            "duplicate key (first at line " + (previous.getKeyNode().getStartMark().getLine() + 1) + ")", null);
      }
    }
    return Optional.of(new YamlMap(file, problems, path, anchor, entries));
  }

  Path file() {
    return file;
  }

  ProblemCollector problems() {
    return problems;
  }

  String path() {
    return path;
  }

  String pathOf(String key) {
    return join(path, key);
  }

  static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Where this mapping's key was typed: the place for "missing key" messages. */
  Mark anchor() {
    return anchor;
  }

  Set<String> keys() {
    return entries.keySet();
  }

  boolean has(String key) {
    return value(key).isPresent();
  }

  /** The key's node, if present and not null. */
  Optional<Node> value(String key) {
    NodeTuple t = entries.get(key);
    if (t == null || isNull(t.getValueNode())) return Optional.empty();
    return Optional.of(t.getValueNode());
  }

  /** Whether the key is written at all, even with a null value. */
  boolean written(String key) {
    return entries.containsKey(key);
  }

  Mark keyMark(String key) {
    NodeTuple t = entries.get(key);
    return t == null ? anchor : t.getKeyNode().getStartMark();
  }

  /** Reports every key not in {@code allowed}, with the closest allowed key as a suggestion. */
  void rejectUnknownKeys(Collection<String> allowed) {
    for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
      String key = e.getKey();
      if (allowed.contains(key)) continue;
      String msg = "unknown key '" + key + "'"
          + KeySuggestion.closest(key, allowed).map(s -> "; did you mean '" + s + "'?").orElse("");
      problems.error(file, e.getValue().getKeyNode(), join(path, key), msg, String.join(", ", new TreeSet<>(allowed)));
    }
  }

  void missing(String key) {
    problems.error(file, anchor, join(path, key), "required key is missing", null);
  }

  Optional<YamlMap> map(String key, boolean required) {
    Optional<Node> n = value(key);
    if (n.isEmpty()) {
      if (required) missing(key);
      return Optional.empty();
    }
    return of(file, problems, join(path, key), keyMark(key), n.get());
  }

  /** Entries of a map whose keys are names the user chose (partitions, pools, volumes). */
  List<Map.Entry<String, YamlMap>> namedMaps(String key, boolean required) {
    List<Map.Entry<String, YamlMap>> out = new ArrayList<>();
    map(key, required).ifPresent(m -> {
      for (String name : m.keys()) {
        Node n = m.entries.get(name).getValueNode();
        if (isNull(n)) {
          of(file, problems, m.pathOf(name), m.keyMark(name), n); // reports "expected a mapping"
          continue;
        }
        of(file, problems, m.pathOf(name), m.keyMark(name), n).ifPresent(v -> out.add(Map.entry(name, v)));
      }
    });
    return out;
  }

  Optional<String> string(String key, boolean required) {
    Optional<Node> n = value(key);
    if (n.isEmpty()) {
      if (required) missing(key);
      return Optional.empty();
    }
    return asString(n.get(), pathOf(key));
  }

  Optional<String> asString(Node n, String keyPath) {
    if (n instanceof ScalarNode s && (s.getTag().equals(Tag.STR) || s.getTag().equals(Tag.INT) || s.getTag().equals(Tag.FLOAT))) {
      return Optional.of(s.getValue());
    }
    String hint = n instanceof ScalarNode s && s.getTag().equals(Tag.BOOL) ? " (quote it if you mean the word)" : "";
    problems.error(file, n, keyPath, "expected a string, got " + describe(n) + hint, null);
    return Optional.empty();
  }

  /** The scalar's text whatever YAML 1.1 made of it (a timedelta like {@code 1:30:00} is an int there). */
  Optional<String> text(String key, boolean required) {
    Optional<Node> n = value(key);
    if (n.isEmpty()) {
      if (required) missing(key);
      return Optional.empty();
    }
    if (n.get() instanceof ScalarNode s && !s.getTag().equals(Tag.BOOL)) {
      return Optional.of(s.getValue());
    }
    problems.error(file, n.get(), pathOf(key), "expected a string, got " + describe(n.get()), null);
    return Optional.empty();
  }

  Optional<Long> integer(String key, boolean required) {
    Optional<Node> n = value(key);
    if (n.isEmpty()) {
      if (required) missing(key);
      return Optional.empty();
    }
    if (n.get() instanceof ScalarNode s && s.getTag().equals(Tag.INT)) {
      try {
        return Optional.of(Long.parseLong(s.getValue().replace("_", "")));
      } catch (NumberFormatException e) {
        // hex, octal or sexagesimal: legal YAML 1.1, but surely not meant here
      }
    }
    problems.error(file, n.get(), pathOf(key), "expected an integer, got " + describe(n.get()), null);
    return Optional.empty();
  }

  Optional<Boolean> bool(String key, boolean required) {
    Optional<Node> n = value(key);
    if (n.isEmpty()) {
      if (required) missing(key);
      return Optional.empty();
    }
    Optional<Boolean> b = asBoolean(n.get());
    if (b.isEmpty()) {
      problems.error(file, n.get(), pathOf(key), "expected true or false, got " + describe(n.get()), "true, false");
    }
    return b;
  }

  static Optional<Boolean> asBoolean(Node n) {
    if (n instanceof ScalarNode s && s.getTag().equals(Tag.BOOL)) {
      String v = s.getValue().toLowerCase(java.util.Locale.ROOT);
      return Optional.of(v.equals("true") || v.equals("yes") || v.equals("on") || v.equals("y"));
    }
    return Optional.empty();
  }

  /** A list of strings; a bad item is reported as {@code key[i]}. */
  Optional<List<String>> stringList(String key, boolean required) {
    Optional<Node> n = value(key);
    if (n.isEmpty()) {
      if (required) missing(key);
      return Optional.empty();
    }
    if (!(n.get() instanceof SequenceNode seq)) {
      problems.error(file, n.get(), pathOf(key), "expected a list, got " + describe(n.get()), null);
      return Optional.empty();
    }
    List<String> out = new ArrayList<>();
    boolean ok = true;
    for (int i = 0; i < seq.getValue().size(); i++) {
      Optional<String> s = asString(seq.getValue().get(i), pathOf(key) + "[" + i + "]");
      s.ifPresent(out::add);
      ok &= s.isPresent();
    }
    return ok ? Optional.of(out) : Optional.empty();
  }

  /** A list of mappings, e.g. {@code unmanaged_partitions}. */
  List<YamlMap> mapList(String key, boolean required) {
    Optional<Node> n = value(key);
    if (n.isEmpty()) {
      if (required) missing(key);
      return List.of();
    }
    if (!(n.get() instanceof SequenceNode seq)) {
      problems.error(file, n.get(), pathOf(key), "expected a list, got " + describe(n.get()), null);
      return List.of();
    }
    List<YamlMap> out = new ArrayList<>();
    for (int i = 0; i < seq.getValue().size(); i++) {
      Node item = seq.getValue().get(i);
      of(file, problems, pathOf(key) + "[" + i + "]", item.getStartMark(), item).ifPresent(out::add);
    }
    return out;
  }

  void error(String key, String message, String allowed) {
    problems.error(file, value(key).map(Node::getStartMark).orElse(keyMark(key)), pathOf(key), message, allowed);
  }

  void warning(String key, String message, String allowed) {
    problems.warning(file, value(key).map(Node::getStartMark).orElse(keyMark(key)), pathOf(key), message, allowed);
  }

  /** An error located at the key itself (for problems with the name, not the value). */
  void errorAtKey(String key, String message, String allowed) {
    problems.error(file, keyMark(key), pathOf(key), message, allowed);
  }

  void warningAtKey(String key, String message, String allowed) {
    problems.warning(file, keyMark(key), pathOf(key), message, allowed);
  }

  static boolean isNull(Node n) {
    return n instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
  }

  static String describe(Node n) {
    if (n instanceof MappingNode) return "a mapping";
    if (n instanceof SequenceNode) return "a list";
    ScalarNode s = (ScalarNode) n;
    Tag t = s.getTag();
    String kind = t.equals(Tag.BOOL) ? "boolean" : t.equals(Tag.INT) ? "integer" : t.equals(Tag.FLOAT) ? "number"
        : t.equals(Tag.NULL) ? "null" : "string";
    return kind.equals("null") ? "nothing (null)" : kind + " '" + s.getValue() + "'";
  }
}
