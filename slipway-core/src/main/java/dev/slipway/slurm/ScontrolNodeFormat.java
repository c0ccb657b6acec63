package dev.slipway.slurm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code scontrol show node --oneliner}: one line per node of {@code Key=value} pairs
 * separated by spaces. Values may themselves hold spaces ({@code OS=Linux 6.1 #1 SMP}) so a value
 * runs until the next {@code Key=}. {@code Reason=} is free text that may contain anything, and
 * Slurm prints it last (only Comment/Extra may follow), so its value runs to the end of the line
 * or to one of those keys.
 */
final class ScontrolNodeFormat {
  private static final Pattern KEY = Pattern.compile("(?:^|\\s)([A-Za-z][A-Za-z0-9_:]*)=");
  private static final Pattern AFTER_REASON = Pattern.compile("\\s(Comment|Extra)=");
  private static final Pattern REASON_STAMP = Pattern.compile("\\s*\\[[^\\[\\]]*@[^\\[\\]]*\\]\\s*$");

  private ScontrolNodeFormat() {}

  static List<SlurmNode> parseNodes(String output) {
    List<SlurmNode> nodes = new ArrayList<>();
    for (String line : output.split("\\R")) {
      if (line.startsWith("NodeName=")) {
        nodes.add(parseNode(line));
      }
    }
    return nodes;
  }

  static SlurmNode parseNode(String line) {
    Map<String, String> fields = fields(line);
    String name = required(fields, "NodeName", line);
    SlurmNodeState state;
    try {
      state = SlurmNodeState.parse(required(fields, "State", line));
    } catch (IllegalArgumentException e) {
      throw new SlurmControlException("cannot read the state of node " + name + ": " + e.getMessage(), e);
    }
    Optional<String> reason = value(fields, "Reason").map(r -> REASON_STAMP.matcher(r).replaceFirst(""))
        .filter(r -> !r.isBlank());
    return new SlurmNode(
        name,
        state,
        reason,
        value(fields, "NodeAddr"),
        value(fields, "NodeHostName"),
        list(fields, "Partitions"),
        new LinkedHashSet<>(list(fields, "AvailableFeatures")));
  }

  static Map<String, String> fields(String line) {
    Map<String, String> fields = new LinkedHashMap<>();
    int reasonAt = line.indexOf(" Reason=");
    String head = reasonAt >= 0 ? line.substring(0, reasonAt) : line;
    Matcher m = KEY.matcher(head);
    String key = null;
    int valueStart = 0;
    while (m.find()) {
      if (key != null) {
        fields.putIfAbsent(key, head.substring(valueStart, m.start()).trim());
      }
      key = m.group(1);
      valueStart = m.end();
    }
    if (key != null) {
      fields.putIfAbsent(key, head.substring(valueStart).trim());
    }
    if (reasonAt >= 0) {
      String tail = line.substring(reasonAt + " Reason=".length());
      Matcher after = AFTER_REASON.matcher(tail);
      if (after.find()) {
        fields.put("Reason", tail.substring(0, after.start()).trim());
        fields.putAll(fields(" " + tail.substring(after.start()).trim()));
      } else {
        fields.put("Reason", tail.trim());
      }
    }
    return fields;
  }

  private static String required(Map<String, String> fields, String key, String line) {
    String v = fields.get(key);
    if (v == null || v.isEmpty()) {
      throw new SlurmControlException("scontrol printed a node without " + key + ": " + line);
    }
    return v;
  }

  private static Optional<String> value(Map<String, String> fields, String key) {
    String v = fields.get(key);
    if (v == null || v.isEmpty() || v.equals("(null)") || v.equals("N/A")) {
      return Optional.empty();
    }
    return Optional.of(v);
  }

  private static List<String> list(Map<String, String> fields, String key) {
    return value(fields, key).map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList())
        .orElse(List.of());
  }
}
