package dev.slipway.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Seeded random hostlists for the randomized unit test and for the comparison with the real
 * {@code scontrol}, plus an independent reference expansion written the way Slurm documents its
 * recursion (the last bracket of a term varies fastest, the prefix's brackets are expanded from the
 * last one outwards), so the fast odometer in {@link HostList} is checked against something simple.
 *
 * <p>Generated expressions stay inside what both Slipway and Slurm 22.05 accept: no text after the
 * last bracket, at most {@link HostList#SLURM_MAX_RANGE_HOSTS} hosts per range, a few thousand names
 * in all.
 */
final class HostListCases {
  private static final String TEXT = "abcgnpu-_.";
  private static final String DIGITS_AND_TEXT = "abn-01239";

  private HostListCases() {}

  static String randomExpression(Random rnd) {
    StringBuilder sb = new StringBuilder();
    int terms = 1 + rnd.nextInt(4);
    for (int t = 0; t < terms; t++) {
      if (t > 0) {
        sb.append(',');
      }
      int groups = rnd.nextInt(10) < 2 ? 0 : 1 + (rnd.nextInt(10) < 7 ? 0 : rnd.nextInt(3));
      int budget = groups == 0 ? 1 : (int) Math.max(1, Math.round(Math.pow(400, 1.0 / groups)));
      if (groups == 0) {
        sb.append(text(rnd, TEXT, 1, 6));
        if (rnd.nextBoolean()) {
          sb.append(zeros(rnd)).append(rnd.nextInt(200));
        }
        continue;
      }
      sb.append(text(rnd, TEXT, rnd.nextInt(5) == 0 ? 0 : 1, 6));
      for (int g = 0; g < groups; g++) {
        if (g > 0) {
          sb.append(text(rnd, DIGITS_AND_TEXT, 0, 3));
        }
        sb.append('[').append(ranges(rnd, budget)).append(']');
      }
    }
    return sb.toString();
  }

  private static String ranges(Random rnd, int budget) {
    StringBuilder sb = new StringBuilder();
    int n = 1 + rnd.nextInt(3);
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(',');
      }
      int lo = rnd.nextInt(5) == 0 ? 95 + rnd.nextInt(10) : rnd.nextInt(1200);
      int span = rnd.nextInt(Math.max(1, budget / n));
      String loText = zeros(rnd) + lo;
      sb.append(loText);
      if (span > 0 || rnd.nextInt(4) == 0) {
        // hi's own padding is irrelevant to Slurm (width comes from lo); exercise it anyway.
        sb.append('-').append(rnd.nextInt(5) == 0 ? "0" : "").append(lo + span);
      }
    }
    return sb.toString();
  }

  private static String zeros(Random rnd) {
    int z = rnd.nextInt(10);
    return z < 6 ? "" : z < 9 ? "0" : "00";
  }

  private static String text(Random rnd, String alphabet, int min, int max) {
    int len = min + rnd.nextInt(max - min + 1);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < len; i++) {
      sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  /**
   * Names the way hooks and nodes produce them: runs of consecutive hosts, sometimes shuffled,
   * duplicated, reversed or with mixed zero padding, and hosts without digits.
   */
  static List<String> randomNames(Random rnd) {
    List<String> names = new ArrayList<>();
    int chunks = 1 + rnd.nextInt(5);
    for (int c = 0; c < chunks; c++) {
      String prefix = rnd.nextInt(4) == 0 ? "p" : text(rnd, TEXT, 0, 4) + text(rnd, DIGITS_AND_TEXT, 0, 2)
          + (rnd.nextBoolean() ? "-" : "");
      if (prefix.isEmpty() || rnd.nextInt(12) == 0) {
        names.add("login" + text(rnd, "abc", 1, 2));
        continue;
      }
      int start = rnd.nextInt(5) == 0 ? 90 + rnd.nextInt(20) : rnd.nextInt(300);
      int len = 1 + rnd.nextInt(40);
      int width = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(4) : 1;
      List<String> chunk = new ArrayList<>();
      for (int i = start; i < start + len; i++) {
        int w = rnd.nextInt(15) == 0 ? 1 + rnd.nextInt(3) : width;
        chunk.add(prefix + String.format("%0" + w + "d", i));
        if (rnd.nextInt(25) == 0) {
          chunk.add(chunk.get(rnd.nextInt(chunk.size())));
        }
      }
      switch (rnd.nextInt(6)) {
        case 0 -> Collections.shuffle(chunk, rnd);
        case 1 -> Collections.reverse(chunk);
        default -> { }
      }
      names.addAll(chunk);
    }
    if (rnd.nextInt(3) == 0) {
      Collections.shuffle(names, rnd);
    }
    return names;
  }

  /** Expands the way Slurm's documentation and source describe it, by plain recursion on text. */
  static List<String> referenceExpand(String expression) {
    List<String> out = new ArrayList<>();
    for (String term : splitTopLevel(expression)) {
      int close = term.lastIndexOf(']');
      if (close < 0) {
        out.add(term);
        continue;
      }
      int open = term.lastIndexOf('[', close);
      List<String> numbers = rangeStrings(term.substring(open + 1, close));
      for (String prefix : expandPrefix(term.substring(0, open))) {
        for (String number : numbers) {
          out.add(prefix + number);
        }
      }
    }
    return out;
  }

  private static List<String> expandPrefix(String prefix) {
    int close = prefix.lastIndexOf(']');
    if (close < 0) {
      return List.of(prefix);
    }
    int open = prefix.lastIndexOf('[', close);
    List<String> out = new ArrayList<>();
    for (String number : rangeStrings(prefix.substring(open + 1, close))) {
      out.addAll(expandPrefix(prefix.substring(0, open) + number + prefix.substring(close + 1)));
    }
    return out;
  }

  private static List<String> rangeStrings(String list) {
    List<String> out = new ArrayList<>();
    for (String range : list.split(",")) {
      String[] bounds = range.split("-");
      long lo = Long.parseLong(bounds[0]);
      long hi = bounds.length > 1 ? Long.parseLong(bounds[1]) : lo;
      for (long i = lo; i <= hi; i++) {
        out.add(String.format("%0" + bounds[0].length() + "d", i));
      }
    }
    return out;
  }

  private static List<String> splitTopLevel(String expression) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < expression.length(); i++) {
      char c = expression.charAt(i);
      if (c == '[') {
        depth++;
      } else if (c == ']') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(expression.substring(start, i));
        start = i + 1;
      }
    }
    out.add(expression.substring(start));
    return out;
  }
}
