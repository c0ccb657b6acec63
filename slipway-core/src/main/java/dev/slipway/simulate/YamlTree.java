package dev.slipway.simulate;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A YAML document as maps, lists and scalars that remember their line and column, so every
 * scenario problem can be reported where the user typed it (Jackson's tree model forgets
 * positions). Duplicate keys are kept as problems rather than silently overwritten.
 */
final class YamlTree {
  private YamlTree() {}

  /** Line and column (1-based) of a value in the scenario file. */
  record Position(int line, int column) {
    static final Position NONE = new Position(0, 0);
  }

  sealed interface Node permits MapNode, ListNode, Scalar {
    Position position();
  }

  record MapNode(Position position, Map<String, Node> entries, Map<String, Position> keyPositions) implements Node {}

  record ListNode(Position position, List<Node> items) implements Node {}

  /** A scalar; {@code text} is empty for YAML null ({@code ~}, {@code null} or nothing). */
  record Scalar(Position position, Optional<String> text) implements Node {}

  record Parsed(Optional<Node> root, List<String> duplicateKeys, List<Position> duplicatePositions) {}

  static Parsed parse(String text) throws IOException {
    List<String> duplicates = new ArrayList<>();
    List<Position> duplicatePositions = new ArrayList<>();
    try (JsonParser p = new YAMLFactory().createParser(text)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        return new Parsed(Optional.empty(), duplicates, duplicatePositions);
      }
      Node root = read(p, "", duplicates, duplicatePositions);
      return new Parsed(Optional.of(root), duplicates, duplicatePositions);
    }
  }

  private static Node read(JsonParser p, String path, List<String> duplicates, List<Position> duplicatePositions)
      throws IOException {
    Position at = position(p.currentTokenLocation());
    JsonToken token = p.currentToken();
    switch (token) {
      case START_OBJECT -> {
        Map<String, Node> entries = new LinkedHashMap<>();
        Map<String, Position> keys = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          Position keyAt = position(p.currentTokenLocation());
          p.nextToken();
          String childPath = path.isEmpty() ? key : path + "." + key;
          Node value = read(p, childPath, duplicates, duplicatePositions);
          if (entries.containsKey(key)) {
            duplicates.add(childPath);
            duplicatePositions.add(keyAt);
          } else {
            entries.put(key, value);
            keys.put(key, keyAt);
          }
        }
        return new MapNode(at, entries, keys);
      }
      case START_ARRAY -> {
        List<Node> items = new ArrayList<>();
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
          items.add(read(p, path + "[" + i++ + "]", duplicates, duplicatePositions));
        }
        return new ListNode(at, items);
      }
      case VALUE_NULL -> {
        return new Scalar(at, Optional.empty());
      }
      default -> {
        return new Scalar(at, Optional.of(p.getText()));
      }
    }
  }

  private static Position position(JsonLocation loc) {
    return loc == null ? Position.NONE : new Position(loc.getLineNr(), loc.getColumnNr());
  }
}
