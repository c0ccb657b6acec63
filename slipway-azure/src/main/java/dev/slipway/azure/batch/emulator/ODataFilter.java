package dev.slipway.azure.batch.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * The part of OData {@code $filter} the emulator understands: comparisons
 * {@code property eq|ne literal} (string literals in single quotes with '' as the escape,
 * numbers, true/false), combined with {@code and}, {@code or}, {@code not} and parentheses.
 * Property names may be paths ({@code startTaskInfo/state}). Anything else is a syntax error,
 * which the emulator answers with 400 InvalidQueryParameterValue, as Batch does.
 */
final class ODataFilter {
  static final class SyntaxException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    SyntaxException(String message) {
      super(message);
    }
  }

  private final List<String> tokens;
  private int pos;

  private ODataFilter(List<String> tokens) {
    this.tokens = tokens;
  }

  static Predicate<JsonNode> parse(String text) {
    ODataFilter p = new ODataFilter(tokenize(text));
    Predicate<JsonNode> result = p.or();
    if (p.pos != p.tokens.size()) {
      throw new SyntaxException("unexpected '" + p.tokens.get(p.pos) + "' in $filter");
    }
    return result;
  }

  private Predicate<JsonNode> or() {
    Predicate<JsonNode> left = and();
    while (peekWord("or")) {
      pos++;
      left = left.or(and());
    }
    return left;
  }

  private Predicate<JsonNode> and() {
    Predicate<JsonNode> left = factor();
    while (peekWord("and")) {
      pos++;
      left = left.and(factor());
    }
    return left;
  }

  private Predicate<JsonNode> factor() {
    if (pos >= tokens.size()) throw new SyntaxException("$filter ends too early");
    String t = tokens.get(pos);
    if (t.equals("(")) {
      pos++;
      Predicate<JsonNode> inner = or();
      expect(")");
      return inner;
    }
    if (peekWord("not")) {
      pos++;
      return factor().negate();
    }
    String property = tokens.get(pos++);
    if (!property.matches("[A-Za-z][A-Za-z0-9_/.]*")) throw new SyntaxException("expected a property name, got '" + property + "'");
    if (pos >= tokens.size()) throw new SyntaxException("$filter ends after '" + property + "'");
    String op = tokens.get(pos++).toLowerCase(Locale.ROOT);
    if (!op.equals("eq") && !op.equals("ne")) throw new SyntaxException("operator '" + op + "' is not supported (eq, ne)");
    if (pos >= tokens.size()) throw new SyntaxException("$filter ends after '" + op + "'");
    String literal = tokens.get(pos++);
    String value = literalValue(literal);
    Predicate<JsonNode> eq = node -> {
      JsonNode v = node;
      for (String part : property.split("/")) {
        v = v.path(part);
      }
      return !v.isMissingNode() && !v.isNull() && v.asText().equals(value);
    };
    return op.equals("eq") ? eq : eq.negate();
  }

  private static String literalValue(String literal) {
    if (literal.startsWith("'")) {
      return literal.substring(1, literal.length() - 1).replace("''", "'");
    }
    if (literal.matches("-?[0-9]+(\\.[0-9]+)?|true|false")) return literal;
    throw new SyntaxException("expected a literal, got '" + literal + "'");
  }

  private boolean peekWord(String word) {
    return pos < tokens.size() && tokens.get(pos).equalsIgnoreCase(word);
  }

  private void expect(String t) {
    if (pos >= tokens.size() || !tokens.get(pos).equals(t)) throw new SyntaxException("expected '" + t + "' in $filter");
    pos++;
  }

  private static List<String> tokenize(String s) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '(' || c == ')') {
        out.add(String.valueOf(c));
        i++;
      } else if (c == '\'') {
        int j = i + 1;
        StringBuilder sb = new StringBuilder("'");
        while (true) {
          if (j >= s.length()) throw new SyntaxException("unterminated string in $filter");
          if (s.charAt(j) == '\'') {
            if (j + 1 < s.length() && s.charAt(j + 1) == '\'') {
              sb.append("''");
              j += 2;
              continue;
            }
            break;
          }
          sb.append(s.charAt(j++));
        }
        out.add(sb.append('\'').toString());
        i = j + 1;
      } else {
        int j = i;
        while (j < s.length() && !Character.isWhitespace(s.charAt(j)) && s.charAt(j) != '(' && s.charAt(j) != ')') j++;
        out.add(s.substring(i, j));
        i = j;
      }
    }
    if (out.isEmpty()) throw new SyntaxException("$filter is empty");
    return out;
  }
}
