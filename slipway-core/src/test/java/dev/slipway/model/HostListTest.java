package dev.slipway.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Expected values below were taken from Slurm 22.05's {@code scontrol show hostnames} and
 * {@code scontrol show hostlist} on this machine; {@code HostListScontrolIT} keeps checking them.
 */
class HostListTest {

  private static List<String> expand(String expression) {
    return HostList.parse(expression).stream().toList();
  }

  private static String compress(String... names) {
    return HostList.compress(List.of(names)).toString();
  }

  // --- expansion -------------------------------------------------------------------------------

  @Test
  void expand_singleRange_countsUp() {
    assertThat(expand("a[1-3]")).containsExactly("a1", "a2", "a3");
  }

  @Test
  void expand_zeroPaddedRange_keepsTheWidthOfTheLowBound() {
    assertThat(expand("n[001-003]")).containsExactly("n001", "n002", "n003");
    assertThat(expand("n[08-10]")).containsExactly("n08", "n09", "n10");
    assertThat(expand("n[00-1]")).containsExactly("n00", "n01");
  }

  @Test
  void expand_mixedWidthRange_isUnpaddedBecauseOnlyTheLowBoundCounts() {
    assertThat(expand("n[8-10]")).containsExactly("n8", "n9", "n10");
    assertThat(expand("n[8-010]")).containsExactly("n8", "n9", "n10");
    assertThat(expand("n[1-01]")).containsExactly("n1");
    assertThat(expand("n[001-1000]")).hasSize(1000).startsWith("n001").endsWith("n999", "n1000");
  }

  @Test
  void expand_commaListsInsideAndOutsideBrackets_keepOrderAndDuplicates() {
    assertThat(expand("n[1,3,5-7]")).containsExactly("n1", "n3", "n5", "n6", "n7");
    assertThat(expand("a1,b[2-3]")).containsExactly("a1", "b2", "b3");
    assertThat(expand("n[5,1-3]")).containsExactly("n5", "n1", "n2", "n3");
    assertThat(expand("n[1-3,2]")).containsExactly("n1", "n2", "n3", "n2");
    assertThat(expand("x[1-2],x[2-3]")).containsExactly("x1", "x2", "x2", "x3");
    assertThat(expand("b1,a1,b2")).containsExactly("b1", "a1", "b2");
  }

  @Test
  void expand_twoGroups_variesTheLastFastest() {
    assertThat(expand("a[1-2]b[3-4]")).containsExactly("a1b3", "a1b4", "a2b3", "a2b4");
    assertThat(expand("rack[1-2]-node[01-02]"))
        .containsExactly("rack1-node01", "rack1-node02", "rack2-node01", "rack2-node02");
    assertThat(expand("n[1-2][3-4]")).containsExactly("n13", "n14", "n23", "n24");
  }

  @Test
  void expand_threeOrMoreGroups_followsSlurmsPrefixRecursionOrder() {
    // Slurm varies the last group fastest, then the first, ..., the second-to-last slowest.
    assertThat(expand("a[0-1]b[0-1]c[0-1]")).containsExactly(
        "a0b0c0", "a0b0c1", "a1b0c0", "a1b0c1", "a0b1c0", "a0b1c1", "a1b1c0", "a1b1c1");
    assertThat(expand("a[0-1]b[0-1]c[0-1]d[0-1]")).containsExactly(
        "a0b0c0d0", "a0b0c0d1", "a1b0c0d0", "a1b0c0d1", "a0b1c0d0", "a0b1c0d1", "a1b1c0d0", "a1b1c0d1",
        "a0b0c1d0", "a0b0c1d1", "a1b0c1d0", "a1b0c1d1", "a0b1c1d0", "a0b1c1d1", "a1b1c1d0", "a1b1c1d1");
  }

  @Test
  void expand_digitsBetweenGroups_areLiteralText() {
    assertThat(expand("a[1-2]5[3-4]")).containsExactly("a153", "a154", "a253", "a254");
  }

  @Test
  void expand_emptyPrefixAndLiteralNames_areAllowed() {
    assertThat(expand("[1-3]")).containsExactly("1", "2", "3");
    assertThat(expand("login1")).containsExactly("login1");
    assertThat(expand("n[0-0]")).containsExactly("n0");
  }

  @Test
  void expand_largeRange_isLazyAndSizedWithoutExpanding() {
    HostList pool = HostList.parse("h-[0-99999]");
    assertThat(pool.size()).isEqualTo(100_000);
    assertThat(pool.stream().limit(2)).containsExactly("h-0", "h-1");
    assertThat(HostList.parse("a[0-999]b[0-999]").size()).isEqualTo(1_000_000);
    assertThat(HostList.parse("a[0-999]b[0-999]").stream().skip(999_999).findFirst()).hasValue("a999b999");
  }

  @Test
  void iterator_pastTheEnd_throwsNoSuchElement() {
    Iterator<String> it = HostList.parse("n[1-2]").iterator();
    it.next();
    it.next();
    assertThat(it.hasNext()).isFalse();
    assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
  }

  @Test
  void size_countsDuplicates() {
    assertThat(HostList.parse("n[1-3,2],n1,a[1-2]b[1-3]").size()).isEqualTo(4 + 1 + 6);
  }

  // --- membership ------------------------------------------------------------------------------

  @Test
  void contains_batchShipyardPoolHostlist_matchesEveryHostNumericallyNotAsARegex() {
    // Batch Shipyard bug 6.1 #2: "X-[0-31]" compiled as a regex is a character class matching
    // X-0..X-3 only, so hosts X-4..X-31 never got a node.
    HostList pool = HostList.parse("X-[0-31]");
    for (int i = 0; i < 32; i++) {
      assertThat(pool.contains("X-" + i)).as("X-%d", i).isTrue();
    }
    assertThat(pool.contains("X-32")).isFalse();
    assertThat(pool.contains("X-")).isFalse();
    assertThat(pool.contains("X-3]")).isFalse();
    assertThat(pool.contains("X--")).isFalse();
    assertThat(pool.contains("X-03")).isFalse();
  }

  @Test
  void contains_poolIdWithRegexMetacharacters_isMatchedLiterally() {
    HostList pool = HostList.parse("a.b+c-[0-9]");
    assertThat(pool.contains("a.b+c-7")).isTrue();
    assertThat(pool.contains("axb+c-7")).isFalse();
    assertThat(pool.contains("a.bbc-7")).isFalse();
    assertThat(HostList.parse("x*-[1-2]").contains("x-1")).isFalse();
  }

  @Test
  void contains_zeroPadding_mustMatchExactly() {
    HostList pool = HostList.parse("n[01-10]");
    assertThat(pool.contains("n07")).isTrue();
    assertThat(pool.contains("n10")).isTrue();
    assertThat(pool.contains("n7")).isFalse();
    assertThat(pool.contains("n007")).isFalse();
    HostList mixed = HostList.parse("n[8-10]");
    assertThat(mixed.contains("n9")).isTrue();
    assertThat(mixed.contains("n10")).isTrue();
    assertThat(mixed.contains("n09")).isFalse();
  }

  @Test
  void contains_hundredThousandHostPool_answersWithoutExpanding() {
    HostList pool = HostList.parse("h-[0-99999]");
    assertThat(pool.contains("h-0")).isTrue();
    assertThat(pool.contains("h-99999")).isTrue();
    assertThat(pool.contains("h-100000")).isFalse();
    assertThat(pool.contains("h-099999")).isFalse();
    // a million-host expression answers instantly too (expanding it would take a while)
    assertThat(HostList.parse("a[0-999]b[0-999]").contains("a998b17")).isTrue();
  }

  @Test
  void contains_digitsAfterAGroup_triesEverySplit() {
    HostList list = HostList.parse("a[1-20]5[3-4]");
    assertThat(list.contains("a2054")).isTrue();
    assertThat(list.contains("a153")).isTrue();
    assertThat(list.contains("a2155")).isFalse();
    assertThat(HostList.parse("n[1-2][3-4]").contains("n24")).isTrue();
    assertThat(HostList.parse("n[1-2][3-4]").contains("n25")).isFalse();
  }

  @Test
  void contains_multipleTermsAndLiterals() {
    HostList list = HostList.parse("login1,gpu-[0-3],cpu-[10-12,20]");
    assertThat(list.contains("login1")).isTrue();
    assertThat(list.contains("cpu-20")).isTrue();
    assertThat(list.contains("cpu-13")).isFalse();
    assertThat(list.contains("login")).isFalse();
  }

  // --- compression -----------------------------------------------------------------------------

  @Test
  void compress_consecutiveNames_becomeOneRange() {
    assertThat(compress("n1", "n2", "n3")).isEqualTo("n[1-3]");
    assertThat(compress("a-1", "a-2")).isEqualTo("a-[1-2]");
    assertThat(compress("a.1", "a.2")).isEqualTo("a.[1-2]");
    assertThat(compress("1", "2", "3")).isEqualTo("[1-3]");
    assertThat(compress("n1", "n3", "n4", "n5")).isEqualTo("n[1,3-5]");
  }

  @Test
  void compress_keepsOrderAndDuplicatesLikeScontrol() {
    assertThat(compress("n3", "n1", "n2")).isEqualTo("n[3,1-2]");
    assertThat(compress("n1", "n2", "n2", "n3")).isEqualTo("n[1-2,2-3]");
    assertThat(compress("n1", "n2", "n1")).isEqualTo("n[1-2,1]");
    assertThat(compress("n1", "n1")).isEqualTo("n[1,1]");
    assertThat(compress("b1", "a1", "b2", "a2")).isEqualTo("b1,a1,b2,a2");
    assertThat(compress("n1", "m1", "n2")).isEqualTo("n1,m1,n2");
  }

  @Test
  void compress_widths_mergeOnlyWhenEveryNamePrintsUnchanged() {
    assertThat(compress("n8", "n9", "n10")).isEqualTo("n[8-10]");
    assertThat(compress("n08", "n09", "n10")).isEqualTo("n[08-10]");
    assertThat(compress("n01", "n02", "n3")).isEqualTo("n[01-02,3]");
    assertThat(compress("n9", "n10", "n011")).isEqualTo("n[9-10,011]");
    assertThat(compress("n9", "n10", "n11", "n012")).isEqualTo("n[9-11,012]");
    assertThat(compress("n0", "n00", "n1")).isEqualTo("n[0,00,1]");
    assertThat(compress("n-0", "n-1", "n-00")).isEqualTo("n-[0-1,00]");
    assertThat(compress("n001", "n002", "n1000")).isEqualTo("n[001-002,1000]");
    assertThat(compress("n098", "n099", "n100", "n0101")).isEqualTo("n[098-100,0101]");
    assertThat(compress("n0001", "n0002")).isEqualTo("n[0001-0002]");
  }

  @Test
  void compress_namesWithoutTrailingDigits_stayLiteral() {
    assertThat(compress("a1b", "a2b")).isEqualTo("a1b,a2b");
    assertThat(compress("n", "n1", "n2")).isEqualTo("n,n[1-2]");
    assertThat(compress("x")).isEqualTo("x");
    assertThat(compress("rack1-node01", "rack1-node02", "rack2-node01"))
        .isEqualTo("rack1-node[01-02],rack2-node01");
  }

  @Test
  void compress_nothing_isTheEmptyHostlist() {
    HostList empty = HostList.compress(List.of());
    assertThat(empty.isEmpty()).isTrue();
    assertThat(empty.toString()).isEmpty();
    assertThat(empty.contains("")).isFalse();
    assertThat(empty.stream()).isEmpty();
    assertThat(empty).isEqualTo(HostList.empty());
  }

  @Test
  void compress_result_answersMembershipAndSizeLikeItsExpression() {
    HostList compressed = HostList.compress(List.of("n3", "n1", "n2", "login", "n08", "n09", "n10"));
    assertThat(compressed.toString()).isEqualTo("n[3,1-2],login,n[08-10]");
    assertThat(compressed.size()).isEqualTo(7);
    assertThat(compressed.contains("n09")).isTrue();
    assertThat(compressed.contains("n9")).isFalse();
    assertThat(compressed.stream()).containsExactly("n3", "n1", "n2", "login", "n08", "n09", "n10");
    assertThat(compressed).isEqualTo(HostList.parse("n[3,1-2],login,n[08-10]"));
  }

  @Test
  void compress_hundredThousandNames_roundTrips() {
    List<String> names = IntStream.range(0, 100_000).mapToObj(i -> "h-" + i).toList();
    HostList compressed = HostList.compress(names);
    assertThat(compressed.toString()).isEqualTo("h-[0-99999]");
    assertThat(HostList.parse(compressed.toString()).stream().toList()).isEqualTo(names);
  }

  @Test
  void compress_invalidName_pointsAtTheCharacter() {
    assertThatThrownBy(() -> HostList.compress(List.of("n1", "n[2]")))
        .isInstanceOfSatisfying(HostlistSyntaxException.class, e -> {
          assertThat(e.expression()).isEqualTo("n[2]");
          assertThat(e.position()).isEqualTo(1);
        });
    assertThatThrownBy(() -> HostList.compress(List.of("")))
        .isInstanceOf(HostlistSyntaxException.class);
    assertThatThrownBy(() -> HostList.compress(List.of("a b")))
        .isInstanceOfSatisfying(HostlistSyntaxException.class, e -> assertThat(e.position()).isEqualTo(1));
  }

  @Test
  void compress_digitRunLongerThanTheLimit_isKeptLiteral() {
    assertThat(compress("n1234567890123456789", "n1234567890123456790"))
        .isEqualTo("n1234567890123456789,n1234567890123456790");
    assertThat(compress("n123456789012345678", "n123456789012345679"))
        .isEqualTo("n[123456789012345678-123456789012345679]");
  }

  // --- malformed input -------------------------------------------------------------------------

  @ParameterizedTest(name = "[{index}] {0} -> column {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "n[1-2          | 1 | never closed",
      "n[             | 1 | never closed",
      "n[1            | 1 | never closed",
      "n1-2]          | 4 | without a matching '['",
      "n[1-2]]        | 6 | without a matching '['",
      "n[[1-2]        | 2 | '[' inside brackets",
      "n[]            | 2 | empty range",
      "n[1,]          | 4 | empty range",
      "n[,1]          | 2 | empty range",
      "n[1,,2]        | 4 | empty range",
      "n[1-]          | 4 | empty range",
      "n[5-1]         | 2 | range 5-1 is reversed",
      "n[0010-9]      | 2 | range 0010-9 is reversed",
      "n[a-b]         | 2 | expected a digit but found 'a'",
      "n[1-b]         | 4 | expected a digit but found 'b'",
      "n[1a]          | 3 | expected a digit, '-', ',' or ']' but found 'a'",
      "n[1-2-3]       | 5 | found '-'",
      "n[1-9:2]       | 5 | found ':'",
      "n[+1-2]        | 2 | found '+'",
      "n[-2]          | 2 | found '-'",
      "gpu-[0-3]x     | 9 | text after the last ']'",
      "a[1-2]b        | 6 | text after the last ']'",
      "a,,b           | 2 | empty host name between commas",
      ",a             | 0 | empty host name before ','",
      "a,             | 1 | trailing comma",
      "a b            | 1 | whitespace",
      "n[1 2]         | 3 | found ' '",
      "n[1234567890123456789] | 20 | more than 18 digits",
      "h-[0-1048576]  | 0 | more than 1048576 hosts",
      "a1,b[0-1023]c[0-1024] | 3 | more than 1048576 hosts",
  })
  void parse_malformed_throwsPointingAtTheOffendingCharacter(String expression, int column, String reason) {
    assertThatThrownBy(() -> HostList.parse(expression))
        .isInstanceOfSatisfying(HostlistSyntaxException.class, e -> {
          assertThat(e.expression()).isEqualTo(expression);
          assertThat(e.position()).isEqualTo(column);
          assertThat(e.getMessage()).contains(reason).contains("at column " + (column + 1));
        });
  }

  @Test
  void parse_emptyExpression_isRejected() {
    assertThatThrownBy(() -> HostList.parse(""))
        .isInstanceOfSatisfying(HostlistSyntaxException.class, e -> assertThat(e.position()).isZero());
  }

  @Test
  void parse_tooManyNamesAcrossTerms_isRejectedAtTheTermThatCrossesTheLimit() {
    assertThatThrownBy(() -> HostList.parse("a[0-1048575],b1"))
        .isInstanceOfSatisfying(HostlistSyntaxException.class, e -> assertThat(e.position()).isEqualTo(13));
    assertThat(HostList.parse("a[0-1048575]").size()).isEqualTo(HostList.MAX_NAMES);
  }

  // --- numeric index ---------------------------------------------------------------------------

  @Test
  void numericIndex_hostOfThePool_isItsNumber() {
    assertThat(HostList.numericIndex("gpu-17", "gpu-")).isEqualTo(OptionalInt.of(17));
    assertThat(HostList.numericIndex("gpu-0", "gpu-")).isEqualTo(OptionalInt.of(0));
    assertThat(HostList.numericIndex("a.b-2147483647", "a.b-")).isEqualTo(OptionalInt.of(Integer.MAX_VALUE));
  }

  @Test
  void numericIndex_otherHosts_areEmpty() {
    assertThat(HostList.numericIndex("gpu-017", "gpu-")).isEmpty();
    assertThat(HostList.numericIndex("gpu-", "gpu-")).isEmpty();
    assertThat(HostList.numericIndex("gpu-1a", "gpu-")).isEmpty();
    assertThat(HostList.numericIndex("cpu-1", "gpu-")).isEmpty();
    assertThat(HostList.numericIndex("axb-1", "a.b-")).isEmpty();
    assertThat(HostList.numericIndex("gpu-2147483648", "gpu-")).isEmpty();
    assertThat(HostList.numericIndex("gpu-99999999999", "gpu-")).isEmpty();
  }

  // --- seeded randomized properties ------------------------------------------------------------

  @Test
  void randomExpressions_expandLikeTheReferenceAndAnswerSizeAndMembershipWithoutExpanding() {
    Random rnd = new Random(20261126L);
    for (int i = 0; i < 500; i++) {
      String expression = HostListCases.randomExpression(rnd);
      HostList list = HostList.parse(expression);
      List<String> expected = HostListCases.referenceExpand(expression);
      List<String> actual = new ArrayList<>(list.size());
      list.forEach(actual::add);
      assertThat(actual).as(expression).isEqualTo(expected);
      assertThat(list.size()).as(expression).isEqualTo(expected.size());
      Set<String> members = new HashSet<>(expected);
      List<String> wrong = new ArrayList<>();
      for (String name : members) {
        if (!list.contains(name)) {
          wrong.add(name);
        }
      }
      for (String near : nearMisses(expected, rnd)) {
        if (list.contains(near) != members.contains(near)) {
          wrong.add(near);
        }
      }
      assertThat(wrong).as("names %s answers wrongly for", expression).isEmpty();
    }
  }

  @Test
  void randomNames_compressToAnExpressionThatExpandsToTheSameNames() {
    Random rnd = new Random(42L);
    for (int i = 0; i < 500; i++) {
      List<String> names = HostListCases.randomNames(rnd);
      HostList compressed = HostList.compress(names);
      assertThat(compressed.size()).isEqualTo(names.size());
      HostList reparsed = HostList.parse(compressed.toString());
      assertThat(reparsed.stream().toList()).as(compressed.toString()).isEqualTo(names);
      assertThat(compressed.stream().toList()).as(compressed.toString()).isEqualTo(names);
      // compressing is idempotent: the expression is already as merged as scontrol makes it
      assertThat(HostList.compress(names).toString()).isEqualTo(compressed.toString());
      assertThat(names.stream().allMatch(compressed::contains)).isTrue();
    }
  }

  /** Names that differ from members by one edit: padding, a digit, a neighbour number. */
  private static List<String> nearMisses(List<String> names, Random rnd) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 8 && !names.isEmpty(); i++) {
      String name = names.get(rnd.nextInt(names.size()));
      int at = rnd.nextInt(name.length() + 1);
      out.add(name.substring(0, at) + "0" + name.substring(at));
      out.add(name.substring(0, at) + "9" + name.substring(at));
      if (at < name.length()) {
        out.add(name.substring(0, at) + name.substring(at + 1));
      }
      out.add(name + "1");
    }
    return out.stream().filter(s -> !s.isEmpty()).collect(Collectors.toList());
  }
}
