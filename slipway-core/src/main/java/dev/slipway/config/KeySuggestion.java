package dev.slipway.config;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/** "Did you mean ...?" for a mistyped key: the closest allowed key by edit distance, if close enough. */
final class KeySuggestion {
  private KeySuggestion() {}

  static Optional<String> closest(String typed, Collection<String> allowed) {
    // A third of the word (at least 2 edits) catches typos and singular/plural slips without
    // suggesting unrelated keys for short words.
    int limit = Math.max(2, typed.length() / 3);
    return allowed.stream()
        .filter(a -> distance(typed, a) <= limit)
        .min(Comparator.comparingInt((String a) -> distance(typed, a)).thenComparing(a -> a));
  }

  /** Levenshtein distance, case-insensitive (a key typed in upper case is still that key). */
  static int distance(String a, String b) {
    String s = a.toLowerCase(java.util.Locale.ROOT);
    String t = b.toLowerCase(java.util.Locale.ROOT);
    int[] prev = new int[t.length() + 1];
    int[] cur = new int[t.length() + 1];
    for (int j = 0; j <= t.length(); j++) prev[j] = j;
    for (int i = 1; i <= s.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= t.length(); j++) {
        int cost = s.charAt(i - 1) == t.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] tmp = prev;
      prev = cur;
      cur = tmp;
    }
    return prev[t.length()];
  }
}
