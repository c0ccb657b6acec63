package dev.slipway.model;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.OptionalInt;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * An immutable Slurm hostlist expression such as {@code gpu-[0-31]} or
 * {@code rack[1-2]-node[01-04],login1}: the one place in Slipway that reads, writes and matches
 * Slurm host names.
 *
 * <h2>Design</h2>
 *
 * <p><b>Semantics are Slurm 22.05's, checked against the real {@code scontrol}</b> (see
 * {@code HostListScontrolIT}, which compares a few hundred seeded random cases):
 *
 * <ul>
 *   <li>An expression is a comma-separated list of terms; commas inside brackets separate ranges.
 *       A term is text with any number of bracket groups ({@code a[1-2]b[3-4]}), but nothing may
 *       follow its last {@code ]}: Slurm answers {@code Invalid hostlist} to {@code gpu-[0-3]x},
 *       so we reject it too rather than accept names Slurm cannot read.
 *   <li>A range is {@code lo} or {@code lo-hi}. Its width is the number of characters of
 *       {@code lo}: {@code [001-010]} gives {@code 001..010}, {@code [8-10]} gives {@code 8, 9, 10}
 *       and {@code [8-010]} gives {@code 8, 9, 10} as well. There are no stepped ranges: Slurm
 *       rejects {@code [1-9:2]}.
 *   <li>Expansion keeps order and duplicates ({@code n[5,1-3],n2} is {@code n5 n1 n2 n3 n2}). With
 *       several groups, Slurm's expansion order is not row-major: the last group varies fastest,
 *       then the first, second, ... up to the second-to-last, which varies slowest
 *       ({@code a[0-1]b[0-1]c[0-1]} is {@code a0b0c0 a0b0c1 a1b0c0 a1b0c1 a0b1c0 ...}). We reproduce
 *       that order exactly, because hooks pass hostlists from slurmctld and order is observable.
 *   <li>{@link #compress} is {@code scontrol show hostlist}: no sorting, no deduplication. Each name
 *       is split into a prefix and its trailing digits; it extends the previous range only if that
 *       range has the same prefix, ends at {@code number - 1} and has a compatible width (equal
 *       widths, or an unpadded number at least as wide as the range's width, so {@code n8,n9,n10}
 *       is {@code n[8-10]} but {@code n01,n02,n3} is {@code n[01-02,3]}). Adjacent ranges with the
 *       same prefix share one bracket ({@code n3,n1,n2} is {@code n[3,1-2]}).
 * </ul>
 *
 * <p><b>Deliberately stricter than Slurm.</b> Slurm silently accepts input that is almost always a
 * typo; a hook or configuration that passes it should fail loudly instead. We reject, with a
 * {@link HostlistSyntaxException} pointing at the offending character: empty terms ({@code a,,b},
 * {@code a,}, {@code ,a}), whitespace (Slurm treats it as a separator), {@code [1-]}, an unclosed
 * {@code [} or a stray {@code ]} (Slurm appends or keeps the bracket as part of a name), signs or
 * spaces inside ranges ({@code [+1-2]}), and numbers of more than {@value #MAX_DIGITS} digits (Slurm
 * overflows silently).
 *
 * <p><b>Deliberately more lenient than Slurm.</b> Slurm 22.05 rejects one range of more than
 * {@value #SLURM_MAX_RANGE_HOSTS} hosts ({@code h-[0-99999]}), although its own {@code scontrol show
 * hostlist} produces such ranges. We accept them so that {@code parse(compress(names))} always
 * works; code that writes hostlists for Slurm to read (slurm.conf) must keep each range within
 * {@link #SLURM_MAX_RANGE_HOSTS}. An expression may name at most {@value #MAX_NAMES} hosts in total;
 * more is a syntax error at the term that crosses the limit (it guards {@link #size()} and callers
 * that expand).
 *
 * <p><b>Cost.</b> Parsing keeps ranges, never names: {@link #size()} is arithmetic, {@link
 * #contains} matches the name against each term's text and ranges (O(ranges), a pool of 100,000
 * hosts written as one range is one comparison), and {@link #iterator()} produces names lazily. This
 * is also the fix for Batch Shipyard bug 6.1 #2, which compiled {@code X-[0-31]} as a regular
 * expression, so that only {@code X-0..X-3} matched: nothing here is a pattern language, every
 * character outside brackets is literal.
 *
 * <p>Two hostlists are equal when their expressions are equal; compare their names to ask whether
 * they denote the same hosts.
 */
public final class HostList implements Iterable<String> {
  /** The most hosts one expression may name. */
  public static final int MAX_NAMES = 1 << 20;

  /** The most hosts Slurm 22.05 accepts in one bracketed range such as {@code [0-65535]}. */
  public static final int SLURM_MAX_RANGE_HOSTS = 65_536;

  /** The most digits a range bound or an index may have (so values fit in a {@code long}). */
  public static final int MAX_DIGITS = 18;

  private static final HostList EMPTY = new HostList("", List.of(), 0);

  private final String expression;
  private final List<Term> terms;
  private final int size;

  private HostList(String expression, List<Term> terms, int size) {
    this.expression = expression;
    this.terms = terms;
    this.size = size;
  }

  /**
   * Parses a hostlist expression.
   *
   * @throws HostlistSyntaxException if the expression is malformed or names more than {@link
   *     #MAX_NAMES} hosts; its position points at the offending character
   */
  public static HostList parse(String expression) {
    return new Parser(expression).parse();
  }

  /** A hostlist naming no host; its expression is the empty string. */
  public static HostList empty() {
    return EMPTY;
  }

  /**
   * Compresses names into the expression {@code scontrol show hostlist} prints for them: order and
   * duplicates are kept, runs of consecutive numbers with the same prefix become ranges.
   *
   * @throws HostlistSyntaxException if a name is empty or contains a comma, a bracket or whitespace
   * @throws IllegalArgumentException if there are more than {@link #MAX_NAMES} names
   */
  public static HostList compress(Collection<String> names) {
    if (names.size() > MAX_NAMES) {
      throw new IllegalArgumentException(
          "cannot compress " + names.size() + " names: a hostlist names at most " + MAX_NAMES + " hosts");
    }
    if (names.isEmpty()) {
      return EMPTY;
    }
    List<Run> runs = new ArrayList<>();
    Run tail = null;
    for (String name : names) {
      checkName(name);
      int digitsStart = trailingDigitsStart(name);
      int digits = name.length() - digitsStart;
      if (digits == 0 || digits > MAX_DIGITS) {
        tail = null;
        runs.add(new Run(name, false, 0, 0, 0));
        continue;
      }
      long number = Long.parseLong(name, digitsStart, name.length(), 10);
      if (tail != null && tail.hi == number - 1 && tail.prefix.length() == digitsStart
          && name.startsWith(tail.prefix) && widthsCompatible(tail.width, digits, number)) {
        tail.hi = number;
      } else {
        tail = new Run(name.substring(0, digitsStart), true, number, number, digits);
        runs.add(tail);
      }
    }
    return fromRuns(runs, names.size());
  }

  /**
   * The index of {@code host} in a pool whose hosts are {@code prefix} followed by an unpadded
   * decimal number, as Batch Shipyard and Slipway name them ({@code gpu-17} with prefix {@code
   * gpu-} is 17). Empty when the host does not start with the prefix (compared literally, never as a
   * pattern), or the rest is not a canonical number ({@code gpu-017}, {@code gpu-1a}, {@code gpu-})
   * or exceeds {@link Integer#MAX_VALUE}.
   */
  public static OptionalInt numericIndex(String host, String prefix) {
    if (!host.startsWith(prefix)) {
      return OptionalInt.empty();
    }
    int start = prefix.length();
    int len = host.length() - start;
    if (len < 1 || len > 10 || (len > 1 && host.charAt(start) == '0')) {
      return OptionalInt.empty();
    }
    long value = 0;
    for (int i = start; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c < '0' || c > '9') {
        return OptionalInt.empty();
      }
      value = value * 10 + (c - '0');
    }
    return value > Integer.MAX_VALUE ? OptionalInt.empty() : OptionalInt.of((int) value);
  }

  /** How many names the expression denotes, duplicates included, computed without expanding. */
  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  /**
   * Whether expanding this hostlist would produce {@code name}, decided without expanding: the
   * name is matched against each term's literal text and ranges (zero padding must match too, so
   * {@code n[01-10]} contains {@code n07} but not {@code n7}).
   */
  public boolean contains(String name) {
    for (Term term : terms) {
      if (term.matches(name)) {
        return true;
      }
    }
    return false;
  }

  /** The names in {@code scontrol show hostnames} order, produced lazily. */
  @Override
  public Iterator<String> iterator() {
    return new Names();
  }

  /** The names in {@code scontrol show hostnames} order, produced lazily. */
  public Stream<String> stream() {
    return StreamSupport.stream(
        Spliterators.spliterator(iterator(), size,
            Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.IMMUTABLE | Spliterator.SIZED),
        false);
  }

  /** The expression, as parsed or as compressed. */
  public String expression() {
    return expression;
  }

  @Override
  public String toString() {
    return expression;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostList other && expression.equals(other.expression);
  }

  @Override
  public int hashCode() {
    return expression.hashCode();
  }

  // ---------------------------------------------------------------------------------------------
  // Representation

  /** {@code lo..hi}, each printed zero-padded to at least {@code width} digits. */
  private record Range(long lo, long hi, int width) {
    long count() {
      return hi - lo + 1;
    }

    /** Whether a digit string of {@code length} characters and value {@code value} is in range. */
    boolean produces(long value, int length) {
      return value >= lo && value <= hi && length == Math.max(width, digitCount(value));
    }
  }

  /** The ranges of one bracket pair, in the order written. */
  private record Group(Range[] ranges, long count) {
    boolean produces(long value, int length) {
      for (Range r : ranges) {
        if (r.produces(value, length)) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * One comma-separated term: {@code texts[0] group[0] texts[1] ... group[k-1] texts[k]}, where
   * {@code texts[k]} is always empty (Slurm allows nothing after the last bracket). A literal name
   * has no groups and one text.
   */
  private static final class Term {
    final String[] texts;
    final Group[] groups;
    /** Group indexes from the slowest-varying to the fastest, Slurm's expansion order. */
    final int[] loopOrder;
    final long count;

    Term(String[] texts, Group[] groups, long count) {
      this.texts = texts;
      this.groups = groups;
      this.count = count;
      int k = groups.length;
      loopOrder = new int[k];
      for (int i = 0; i < k - 1; i++) {
        loopOrder[i] = k - 2 - i;
      }
      if (k > 0) {
        loopOrder[k - 1] = k - 1;
      }
    }

    boolean matches(String name) {
      if (groups.length == 0) {
        return texts[0].equals(name);
      }
      // Failed (group, position) states, so that adjacent digit groups cannot make backtracking
      // exponential; a single group never revisits a state.
      BitSet failed = groups.length > 1 ? new BitSet() : null;
      return matchFrom(name, 0, 0, failed);
    }

    private boolean matchFrom(String name, int group, int pos, BitSet failed) {
      String text = texts[group];
      if (!name.startsWith(text, pos)) {
        return false;
      }
      int p = pos + text.length();
      if (group == groups.length) {
        return p == name.length();
      }
      int state = group * (name.length() + 1) + p;
      if (failed != null && failed.get(state)) {
        return false;
      }
      long value = 0;
      int limit = Math.min(name.length(), p + MAX_DIGITS);
      // The text after this group may itself start with digits, so try every digit-run length.
      for (int end = p; end < limit; end++) {
        char c = name.charAt(end);
        if (c < '0' || c > '9') {
          break;
        }
        value = value * 10 + (c - '0');
        if (groups[group].produces(value, end + 1 - p) && matchFrom(name, group + 1, end + 1, failed)) {
          return true;
        }
      }
      if (failed != null) {
        failed.set(state);
      }
      return false;
    }
  }

  /** Lazily walks the terms, each with an odometer over its groups in Slurm's order. */
  private final class Names implements Iterator<String> {
    private int termIndex = -1;
    private Term term;
    private int[] rangeIndex;
    private long[] value;
    private boolean pending;
    private final StringBuilder buffer = new StringBuilder(32);

    Names() {
      nextTerm();
    }

    private void nextTerm() {
      termIndex++;
      if (termIndex >= terms.size()) {
        term = null;
        pending = false;
        return;
      }
      term = terms.get(termIndex);
      int k = term.groups.length;
      rangeIndex = new int[k];
      value = new long[k];
      for (int g = 0; g < k; g++) {
        value[g] = term.groups[g].ranges[0].lo;
      }
      pending = true;
    }

    @Override
    public boolean hasNext() {
      return pending;
    }

    @Override
    public String next() {
      if (!pending) {
        throw new NoSuchElementException();
      }
      String name = format();
      advance();
      return name;
    }

    private String format() {
      if (term.groups.length == 0) {
        return term.texts[0];
      }
      StringBuilder sb = buffer;
      sb.setLength(0);
      for (int g = 0; g < term.groups.length; g++) {
        sb.append(term.texts[g]);
        appendPadded(sb, value[g], term.groups[g].ranges[rangeIndex[g]].width);
      }
      sb.append(term.texts[term.groups.length]);
      return sb.toString();
    }

    private void advance() {
      int[] order = term.loopOrder;
      for (int i = order.length - 1; i >= 0; i--) {
        int g = order[i];
        Range[] ranges = term.groups[g].ranges;
        if (value[g] < ranges[rangeIndex[g]].hi) {
          value[g]++;
          return;
        }
        if (rangeIndex[g] + 1 < ranges.length) {
          rangeIndex[g]++;
          value[g] = ranges[rangeIndex[g]].lo;
          return;
        }
        rangeIndex[g] = 0;
        value[g] = ranges[0].lo;
      }
      nextTerm();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Compression

  /** A run of names being compressed: a literal name, or {@code prefix} with numbers lo..hi. */
  private static final class Run {
    final String prefix;
    final boolean numeric;
    final long lo;
    long hi;
    final int width;

    Run(String prefix, boolean numeric, long lo, long hi, int width) {
      this.prefix = prefix;
      this.numeric = numeric;
      this.lo = lo;
      this.hi = hi;
      this.width = width;
    }
  }

  /**
   * Whether a name whose number has {@code digits} characters may extend a range printed with
   * {@code rangeWidth}: Slurm allows it when the widths are equal, or when the new number is
   * unpadded and at least as wide as the range ({@code 9} then {@code 10}), so that expanding the
   * merged range prints every name unchanged.
   */
  private static boolean widthsCompatible(int rangeWidth, int digits, long number) {
    return rangeWidth == digits || (digits == digitCount(number) && rangeWidth < digits);
  }

  private static HostList fromRuns(List<Run> runs, int size) {
    StringBuilder expr = new StringBuilder();
    List<Term> terms = new ArrayList<>();
    int i = 0;
    while (i < runs.size()) {
      Run first = runs.get(i);
      int j = i + 1;
      if (first.numeric) {
        while (j < runs.size() && runs.get(j).numeric && runs.get(j).prefix.equals(first.prefix)) {
          j++;
        }
      }
      if (expr.length() > 0) {
        expr.append(',');
      }
      if (!first.numeric) {
        expr.append(first.prefix);
        terms.add(new Term(new String[] {first.prefix}, new Group[0], 1));
      } else if (j == i + 1 && first.lo == first.hi) {
        StringBuilder name = new StringBuilder(first.prefix);
        appendPadded(name, first.lo, first.width);
        expr.append(name);
        terms.add(new Term(new String[] {name.toString()}, new Group[0], 1));
      } else {
        Range[] ranges = new Range[j - i];
        long count = 0;
        expr.append(first.prefix).append('[');
        for (int r = i; r < j; r++) {
          Run run = runs.get(r);
          ranges[r - i] = new Range(run.lo, run.hi, run.width);
          count += run.hi - run.lo + 1;
          if (r > i) {
            expr.append(',');
          }
          appendPadded(expr, run.lo, run.width);
          if (run.hi != run.lo) {
            expr.append('-');
            appendPadded(expr, run.hi, run.width);
          }
        }
        expr.append(']');
        terms.add(new Term(new String[] {first.prefix, ""}, new Group[] {new Group(ranges, count)}, count));
      }
      i = j;
    }
    return new HostList(expr.toString(), List.copyOf(terms), size);
  }

  // ---------------------------------------------------------------------------------------------
  // Parsing

  /** A recursive-descent parser over the expression that reports the offending position. */
  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    HostList parse() {
      if (s.isEmpty()) {
        throw error(0, "the hostlist is empty");
      }
      List<Term> terms = new ArrayList<>();
      long total = 0;
      while (true) {
        int start = pos;
        Term term = term();
        total += term.count;
        if (total > MAX_NAMES) {
          throw error(start, "the hostlist names more than " + MAX_NAMES + " hosts");
        }
        terms.add(term);
        if (pos == s.length()) {
          break;
        }
        pos++; // the ',' that ended the term
        if (pos == s.length()) {
          throw error(pos - 1, "trailing comma");
        }
      }
      return new HostList(s, List.copyOf(terms), (int) total);
    }

    private Term term() {
      int start = pos;
      List<String> texts = new ArrayList<>();
      List<Group> groups = new ArrayList<>();
      int textStart = pos;
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c == ',') {
          break;
        } else if (c == '[') {
          texts.add(s.substring(textStart, pos));
          groups.add(group());
          textStart = pos;
        } else if (c == ']') {
          throw error(pos, "']' without a matching '['");
        } else {
          checkNameChar(s, pos);
          pos++;
        }
      }
      if (pos == start) {
        throw error(pos, start == 0 ? "empty host name before ','" : "empty host name between commas");
      }
      if (!groups.isEmpty() && textStart < pos) {
        throw error(textStart, "text after the last ']' (Slurm rejects suffixes such as 'gpu-[0-3]x')");
      }
      texts.add(s.substring(textStart, pos));
      long count = 1;
      for (Group g : groups) {
        count = saturatingMultiply(count, g.count());
      }
      if (count > MAX_NAMES) {
        throw error(start, "the hostlist names more than " + MAX_NAMES + " hosts");
      }
      return new Term(texts.toArray(String[]::new), groups.toArray(Group[]::new), count);
    }

    /** At '[': reads ranges up to and including the matching ']'. */
    private Group group() {
      int open = pos++;
      List<Range> ranges = new ArrayList<>();
      long count = 0;
      while (true) {
        Range r = range(open);
        ranges.add(r);
        count = Math.min(Long.MAX_VALUE / 2, count + r.count());
        char c = s.charAt(pos); // range() guarantees a ',' or ']' here
        pos++;
        if (c == ']') {
          return new Group(ranges.toArray(Range[]::new), count);
        }
      }
    }

    private Range range(int open) {
      int start = pos;
      long lo = number(open, "a range");
      int width = pos - start;
      long hi = lo;
      if (pos < s.length() && s.charAt(pos) == '-') {
        pos++;
        hi = number(open, "the end of the range after '-'");
      }
      if (pos >= s.length()) {
        throw error(open, "'[' is never closed");
      }
      char c = s.charAt(pos);
      if (c != ',' && c != ']') {
        throw error(pos, c == '[' ? "'[' inside brackets" : "expected a digit, '-', ',' or ']' but found '" + c + "'");
      }
      if (lo > hi) {
        throw error(start, "range " + s.substring(start, pos) + " is reversed");
      }
      return new Range(lo, hi, width);
    }

    private long number(int open, String what) {
      int start = pos;
      long value = 0;
      while (pos < s.length() && isDigit(s.charAt(pos))) {
        if (pos - start == MAX_DIGITS) {
          throw error(pos, "a number has more than " + MAX_DIGITS + " digits");
        }
        value = value * 10 + (s.charAt(pos) - '0');
        pos++;
      }
      if (pos == start) {
        if (pos >= s.length()) {
          throw error(open, "'[' is never closed");
        }
        char c = s.charAt(pos);
        if (c == '[') {
          throw error(pos, "'[' inside brackets");
        }
        String found = c == ']' || c == ',' ? "empty range" : "expected a digit but found '" + c + "'";
        throw error(pos, found + " (" + what + ")");
      }
      return value;
    }

    private HostlistSyntaxException error(int position, String reason) {
      return new HostlistSyntaxException(s, position, reason);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static void checkName(String name) {
    if (name.isEmpty()) {
      throw new HostlistSyntaxException(name, 0, "empty host name");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == ',' || c == '[' || c == ']') {
        throw new HostlistSyntaxException(name, i, "'" + c + "' in a host name");
      }
      checkNameChar(name, i);
    }
  }

  private static void checkNameChar(String s, int i) {
    char c = s.charAt(i);
    if (Character.isWhitespace(c) || Character.isISOControl(c)) {
      throw new HostlistSyntaxException(s, i, "whitespace or control character in a host name");
    }
  }

  private static int trailingDigitsStart(String name) {
    int i = name.length();
    while (i > 0 && isDigit(name.charAt(i - 1))) {
      i--;
    }
    return i;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int digitCount(long value) {
    int n = 1;
    while (value >= 10) {
      value /= 10;
      n++;
    }
    return n;
  }

  private static void appendPadded(StringBuilder sb, long value, int width) {
    for (int i = digitCount(value); i < width; i++) {
      sb.append('0');
    }
    sb.append(value);
  }

  private static long saturatingMultiply(long a, long b) {
    long high = Math.multiplyHigh(a, b);
    long low = a * b;
    return high != 0 || low < 0 ? Long.MAX_VALUE : low;
  }
}
