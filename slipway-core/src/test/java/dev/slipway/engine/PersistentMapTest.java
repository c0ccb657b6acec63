package dev.slipway.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PersistentMapTest {
  @Test
  void withAndWithout_overRandomOperations_behaveLikeAHashMapAndLeaveOlderVersionsUnchanged() {
    for (long seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      Map<String, Integer> expected = new HashMap<>();
      PersistentMap<String, Integer> map = PersistentMap.empty();
      Map<PersistentMap<String, Integer>, Map<String, Integer>> versions = new java.util.IdentityHashMap<>();
      for (int step = 0; step < 3000; step++) {
        // Few distinct keys (collisions in leaves) or many (deep, sparse trie), by seed.
        String key = "h-" + random.nextInt(seed % 2 == 0 ? 40 : 5000);
        if (step % 100 == 0) {
          versions.put(map, Map.copyOf(expected));
        }
        if (random.nextInt(3) == 0) {
          map = map.without(key);
          expected.remove(key);
        } else {
          int value = random.nextInt(4);
          map = map.with(key, value);
          expected.put(key, value);
        }
        assertThat(map.size()).isEqualTo(expected.size());
        assertThat(map.get(key)).isEqualTo(expected.get(key));
      }
      versions.forEach((version, then) -> assertThat(version).as("an older version").isEqualTo(then));
      assertThat(map).isEqualTo(expected);
      assertThat(map.hashCode()).isEqualTo(expected.hashCode());
      assertThat(PersistentMap.copyOf(expected)).isEqualTo(expected);
      Map<String, Integer> iterated = new HashMap<>();
      map.forEach(iterated::put);
      assertThat(iterated).isEqualTo(expected);
    }
  }

  @Test
  void diffKeys_betweenRelatedAndUnrelatedVersions_namesExactlyTheKeysWhoseValueDiffers() {
    Random random = new Random(7);
    PersistentMap<String, Integer> base = PersistentMap.empty();
    for (int i = 0; i < 3000; i++) {
      base = base.with("h-" + i, i % 5);
    }
    for (int round = 0; round < 50; round++) {
      PersistentMap<String, Integer> next = base;
      for (int c = 0; c < random.nextInt(30); c++) {
        String key = "h-" + random.nextInt(3200);
        next = random.nextBoolean() ? next.without(key) : next.with(key, random.nextInt(5));
      }
      Set<String> expected = new HashSet<>();
      Set<String> keys = new HashSet<>(base.keySet());
      keys.addAll(next.keySet());
      for (String k : keys) {
        if (!java.util.Objects.equals(base.get(k), next.get(k))) {
          expected.add(k);
        }
      }
      Set<String> shared = new HashSet<>();
      PersistentMap.diffKeys(base, next, shared::add);
      assertThat(shared).isEqualTo(expected);
      Set<String> unrelated = new HashSet<>();
      PersistentMap.diffKeys(PersistentMap.copyOf(new HashMap<>(base)), next, unrelated::add);
      assertThat(unrelated).isEqualTo(expected);
      base = next;
    }
  }

  @Test
  void mutators_throw_andNullsAreRefused() {
    PersistentMap<String, Integer> map = PersistentMap.<String, Integer>empty().with("a", 1);
    assertThat(map.with("a", 1)).isSameAs(map);
    assertThat(map.without("b")).isSameAs(map);
    assertThatThrownBy(() -> map.put("b", 2)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> map.with("b", null)).isInstanceOf(NullPointerException.class);
    Map<String, Integer> withNull = new HashMap<>();
    withNull.put("x", null);
    assertThatThrownBy(() -> PersistentMap.copyOf(withNull)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void edit_ofManyUpdates_equalsTheSameUpdatesOneByOne_andLeavesTheOriginalAndItsSharingIntact() {
    for (long seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      int keys = seed % 2 == 0 ? 40 : 5000;
      PersistentMap<String, Integer> base = PersistentMap.empty();
      for (int i = 0; i < keys / 2; i++) {
        base = base.with("h-" + random.nextInt(keys), random.nextInt(4));
      }
      Map<String, Integer> before = new HashMap<>(base);
      for (int round = 0; round < 20; round++) {
        PersistentMap<String, Integer> oneByOne = base;
        PersistentMap.Edit<String, Integer> edit = base.edit();
        Set<String> touched = new HashSet<>();
        for (int c = random.nextInt(200); c > 0; c--) {
          String key = "h-" + random.nextInt(keys);
          touched.add(key);
          if (random.nextInt(3) == 0) {
            oneByOne = oneByOne.without(key);
            edit.remove(key);
          } else {
            int value = random.nextInt(4);
            oneByOne = oneByOne.with(key, value);
            edit.put(key, value);
          }
        }
        PersistentMap<String, Integer> edited = edit.done();

        assertThat(edited).as("seed %d round %d", seed, round).isEqualTo(oneByOne);
        assertThat(edited.size()).isEqualTo(oneByOne.size());
        assertThat(base).as("the original").isEqualTo(before);
        Set<String> diff = new HashSet<>();
        PersistentMap.diffKeys(base, edited, diff::add);
        assertThat(touched).as("only touched keys can differ").containsAll(diff);
        assertThat(diff).isEqualTo(new HashSet<>(changedKeys(base, oneByOne)));
      }
    }
  }

  @Test
  void edit_withoutChanges_givesTheSameMap_andIsSpentAfterDone() {
    PersistentMap<String, Integer> base = PersistentMap.<String, Integer>empty().with("a", 1);
    PersistentMap.Edit<String, Integer> edit = base.edit().put("a", 1).remove("b");

    assertThat(edit.done()).isSameAs(base);
    assertThatThrownBy(() -> edit.put("c", 3)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(edit::done).isInstanceOf(IllegalStateException.class);
  }

  private static Set<String> changedKeys(Map<String, Integer> a, Map<String, Integer> b) {
    Set<String> keys = new HashSet<>(a.keySet());
    keys.addAll(b.keySet());
    keys.removeIf(k -> java.util.Objects.equals(a.get(k), b.get(k)));
    return keys;
  }
}
