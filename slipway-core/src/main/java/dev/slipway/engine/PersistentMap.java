package dev.slipway.engine;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * An immutable map whose updates share structure with the map they came from: {@link #with} and
 * {@link #without} copy one path of a fixed-depth 32-way hash trie (3 levels, then a small leaf of
 * key/value pairs) instead of the whole map, and {@link #diffKeys} compares two versions by
 * skipping the subtrees they share. That is what lets the reconciler hand the planner a snapshot of
 * 10,000 bindings each pass without copying them, and the incremental planner find the hosts that
 * changed between two snapshots in time proportional to the change (docs/engine.md).
 *
 * <p>Keys and values must not be null (as with {@link Map#copyOf}). Mutators of {@link Map} throw.
 * Equality and hash code are those of {@link Map}.
 */
final class PersistentMap<K, V> extends AbstractMap<K, V> {
  private static final int BITS = 5;
  private static final int WIDTH = 1 << BITS;
  private static final int MASK = WIDTH - 1;
  /** Inner levels above the leaves: 15 hash bits, 32,768 leaves, so leaves stay tiny up to ~100,000 keys. */
  private static final int LEVELS = 3;

  private static final PersistentMap<?, ?> EMPTY = new PersistentMap<>(new Object[WIDTH], 0);

  /** Levels 0..LEVELS-1 are Object[WIDTH] (null: empty subtree); below them leaves Object[]{k0, v0, k1, v1, ...}. */
  private final Object[] root;
  private final int size;

  private PersistentMap(Object[] root, int size) {
    this.root = root;
    this.size = size;
  }

  @SuppressWarnings("unchecked")
  static <K, V> PersistentMap<K, V> empty() {
    return (PersistentMap<K, V>) EMPTY;
  }

  /** {@code map} itself when it is a PersistentMap (it is immutable), else a new one with its entries. */
  @SuppressWarnings("unchecked")
  static <K, V> PersistentMap<K, V> copyOf(Map<? extends K, ? extends V> map) {
    if (map instanceof PersistentMap<?, ?> p) {
      return (PersistentMap<K, V>) p;
    }
    // Built in place: the arrays are this method's own until it returns.
    Object[] root = new Object[WIDTH];
    int[] size = {0};
    map.forEach((k, v) -> {
      Objects.requireNonNull(k, "key");
      Objects.requireNonNull(v, "value");
      int h = spread(k.hashCode());
      Object[] node = root;
      for (int level = 0; level < LEVELS - 1; level++) {
        int i = index(h, level);
        if (node[i] == null) {
          node[i] = new Object[WIDTH];
        }
        node = (Object[]) node[i];
      }
      int i = index(h, LEVELS - 1);
      Object[] leaf = (Object[]) node[i];
      if (leaf == null) {
        node[i] = new Object[] {k, v};
        size[0]++;
        return;
      }
      for (int j = 0; j < leaf.length; j += 2) {
        if (leaf[j].equals(k)) {
          throw new IllegalArgumentException("duplicate key " + k);
        }
      }
      Object[] grown = java.util.Arrays.copyOf(leaf, leaf.length + 2);
      grown[leaf.length] = k;
      grown[leaf.length + 1] = v;
      node[i] = grown;
      size[0]++;
    });
    return new PersistentMap<>(root, size[0]);
  }

  private static int spread(int h) {
    return h ^ (h >>> 15) ^ (h >>> 27);
  }

  private static int index(int hash, int level) {
    return (hash >>> (level * BITS)) & MASK;
  }

  private Object[] leaf(Object key) {
    int h = spread(key.hashCode());
    Object[] node = root;
    for (int level = 0; level < LEVELS; level++) {
      node = (Object[]) node[index(h, level)];
      if (node == null) {
        return null;
      }
    }
    return node;
  }

  @Override
  @SuppressWarnings("unchecked")
  public V get(Object key) {
    if (key == null) {
      return null;
    }
    Object[] leaf = leaf(key);
    if (leaf != null) {
      for (int j = 0; j < leaf.length; j += 2) {
        if (leaf[j].equals(key)) {
          return (V) leaf[j + 1];
        }
      }
    }
    return null;
  }

  @Override
  public boolean containsKey(Object key) {
    return get(key) != null;
  }

  @Override
  public int size() {
    return size;
  }

  /** This map with {@code key} mapped to {@code value}; this very map when it already holds an equal value. */
  PersistentMap<K, V> with(K key, V value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    V old = get(key);
    if (value.equals(old)) {
      return this;
    }
    Object[] leaf = leaf(key);
    Object[] next;
    if (old == null) {
      int n = leaf == null ? 0 : leaf.length;
      next = leaf == null ? new Object[2] : java.util.Arrays.copyOf(leaf, n + 2);
      next[n] = key;
      next[n + 1] = value;
    } else {
      next = leaf.clone();
      for (int j = 0; j < next.length; j += 2) {
        if (next[j].equals(key)) {
          next[j + 1] = value;
        }
      }
    }
    return new PersistentMap<>(replaceLeaf(key, next), old == null ? size + 1 : size);
  }

  /** This map without {@code key}; this very map when it has no such key. */
  PersistentMap<K, V> without(Object key) {
    if (!containsKey(key)) {
      return this;
    }
    Object[] leaf = leaf(key);
    Object[] next = null;
    if (leaf.length > 2) {
      next = new Object[leaf.length - 2];
      int k = 0;
      for (int j = 0; j < leaf.length; j += 2) {
        if (!leaf[j].equals(key)) {
          next[k++] = leaf[j];
          next[k++] = leaf[j + 1];
        }
      }
    }
    return new PersistentMap<>(replaceLeaf(key, next), size - 1);
  }

  /** An edit of this map: many updates that copy each node on their paths once, not once per update. */
  Edit<K, V> edit() {
    return new Edit<>(this);
  }

  /**
   * A batch of updates to a {@link PersistentMap} (a pass applies hundreds, a whole Slurm read up
   * to one per host). {@link #with} copies the root and two inner nodes for every update; an edit
   * copies each node the first time the batch touches it and changes its copy in place after
   * that, so the map it makes shares every untouched subtree with the original, as single updates
   * would. Confined to one thread; {@link #done()} ends it.
   */
  static final class Edit<K, V> {
    private final PersistentMap<K, V> base;
    private Object[] root;
    private int size;
    /** Inner nodes this edit copied (identity), which it may change in place. */
    private final Set<Object[]> own = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private boolean done;

    private Edit(PersistentMap<K, V> base) {
      this.base = base;
      this.root = base.root;
      this.size = base.size;
    }

    /** Maps {@code key} to {@code value}; nothing changes when it already holds an equal value. */
    Edit<K, V> put(K key, V value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      Object[] parent = parentOf(key, false);
      int i = index(spread(key.hashCode()), LEVELS - 1);
      Object[] leaf = parent == null ? null : (Object[]) parent[i];
      int at = leaf == null ? -1 : position(leaf, key);
      if (at >= 0 && leaf[at + 1].equals(value)) {
        return this;
      }
      parent = parentOf(key, true);
      Object[] next;
      if (at < 0) {
        int n = leaf == null ? 0 : leaf.length;
        next = leaf == null ? new Object[2] : java.util.Arrays.copyOf(leaf, n + 2);
        next[n] = key;
        next[n + 1] = value;
        size++;
      } else {
        next = leaf.clone();
        next[at + 1] = value;
      }
      parent[i] = next;
      return this;
    }

    /** Takes {@code key} out; nothing changes when it is absent. */
    Edit<K, V> remove(Object key) {
      Object[] parent = parentOf(key, false);
      int i = index(spread(key.hashCode()), LEVELS - 1);
      Object[] leaf = parent == null ? null : (Object[]) parent[i];
      int at = leaf == null ? -1 : position(leaf, key);
      if (at < 0) {
        return this;
      }
      parent = parentOf(key, true);
      Object[] next = null;
      if (leaf.length > 2) {
        next = new Object[leaf.length - 2];
        System.arraycopy(leaf, 0, next, 0, at);
        System.arraycopy(leaf, at + 2, next, at, leaf.length - at - 2);
      }
      parent[i] = next;
      size--;
      return this;
    }

    /** The edited map ({@code base} itself when nothing changed); the edit cannot be used after. */
    PersistentMap<K, V> done() {
      if (done) {
        throw new IllegalStateException("edit already done");
      }
      done = true;
      return root == base.root ? base : new PersistentMap<>(root, size);
    }

    /**
     * The inner node above {@code key}'s leaf; with {@code writable}, the path to it copied (once
     * per edit) so it can be changed; without, null when the path does not exist.
     */
    private Object[] parentOf(Object key, boolean writable) {
      if (done) {
        throw new IllegalStateException("edit already done");
      }
      int h = spread(key.hashCode());
      if (writable && !own.contains(root)) {
        root = root.clone();
        own.add(root);
      }
      Object[] node = root;
      for (int level = 0; level < LEVELS - 1; level++) {
        int i = index(h, level);
        Object[] child = (Object[]) node[i];
        if (!writable) {
          if (child == null) {
            return null;
          }
        } else if (child == null || !own.contains(child)) {
          child = child == null ? new Object[WIDTH] : child.clone();
          own.add(child);
          node[i] = child;
        }
        node = child;
      }
      return node;
    }

    private static int position(Object[] leaf, Object key) {
      for (int j = 0; j < leaf.length; j += 2) {
        if (leaf[j].equals(key)) {
          return j;
        }
      }
      return -1;
    }
  }

  /** A new root with the path to {@code key}'s leaf copied and the leaf replaced. */
  private Object[] replaceLeaf(Object key, Object[] leaf) {
    int h = spread(key.hashCode());
    Object[] newRoot = root.clone();
    Object[] node = newRoot;
    for (int level = 0; level < LEVELS - 1; level++) {
      int i = index(h, level);
      Object[] child = (Object[]) node[i];
      child = child == null ? new Object[WIDTH] : child.clone();
      node[i] = child;
      node = child;
    }
    node[index(h, LEVELS - 1)] = leaf;
    return newRoot;
  }

  /**
   * Calls {@code changed} with every key whose value differs between {@code a} and {@code b}
   * (present in one only, or unequal values), possibly more than once. Subtrees the two share
   * are skipped, so two versions a few updates apart are compared in time proportional to those
   * updates.
   */
  static <K, V> void diffKeys(PersistentMap<K, V> a, PersistentMap<K, V> b, Consumer<K> changed) {
    diff(a.root, b.root, 0, changed);
  }

  @SuppressWarnings("unchecked")
  private static <K> void diff(Object[] a, Object[] b, int level, Consumer<K> changed) {
    if (a == b) {
      return;
    }
    if (level == LEVELS) {
      Object[] x = a == null ? new Object[0] : a;
      Object[] y = b == null ? new Object[0] : b;
      for (int i = 0; i < x.length; i += 2) {
        if (!x[i + 1].equals(valueIn(y, x[i]))) {
          changed.accept((K) x[i]);
        }
      }
      for (int i = 0; i < y.length; i += 2) {
        if (valueIn(x, y[i]) == null) {
          changed.accept((K) y[i]);
        }
      }
      return;
    }
    for (int i = 0; i < WIDTH; i++) {
      Object[] ca = a == null ? null : (Object[]) a[i];
      Object[] cb = b == null ? null : (Object[]) b[i];
      if (ca != cb) {
        diff(ca, cb, level + 1, changed);
      }
    }
  }

  private static Object valueIn(Object[] leaf, Object key) {
    for (int j = 0; j < leaf.length; j += 2) {
      if (leaf[j].equals(key)) {
        return leaf[j + 1];
      }
    }
    return null;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void forEach(BiConsumer<? super K, ? super V> action) {
    forEach(root, 0, (Object[] leaf) -> {
      for (int j = 0; j < leaf.length; j += 2) {
        action.accept((K) leaf[j], (V) leaf[j + 1]);
      }
    });
  }

  private static void forEach(Object[] node, int level, Consumer<Object[]> leaves) {
    for (Object child : node) {
      if (child != null) {
        if (level == LEVELS - 1) {
          leaves.accept((Object[]) child);
        } else {
          forEach((Object[]) child, level + 1, leaves);
        }
      }
    }
  }

  @Override
  public Set<Entry<K, V>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public Iterator<Entry<K, V>> iterator() {
        return new EntryIterator<>(root);
      }

      @Override
      public int size() {
        return size;
      }
    };
  }

  /** Walks the trie depth first; a stack of (node, next index) pairs. */
  private static final class EntryIterator<K, V> implements Iterator<Entry<K, V>> {
    private final Deque<Object[]> nodes = new ArrayDeque<>();
    private final Deque<int[]> positions = new ArrayDeque<>();
    private Object[] leaf;
    private int inLeaf;

    EntryIterator(Object[] root) {
      nodes.push(root);
      positions.push(new int[] {0});
      advance();
    }

    /** Moves to the next non-empty leaf unless the current one has entries left. */
    private void advance() {
      while ((leaf == null || inLeaf >= leaf.length) && !nodes.isEmpty()) {
        Object[] node = nodes.peek();
        int[] pos = positions.peek();
        if (pos[0] >= WIDTH) {
          nodes.pop();
          positions.pop();
          continue;
        }
        Object child = node[pos[0]++];
        if (child == null) {
          continue;
        }
        if (nodes.size() == LEVELS) {
          leaf = (Object[]) child;
          inLeaf = 0;
        } else {
          nodes.push((Object[]) child);
          positions.push(new int[] {0});
        }
      }
    }

    @Override
    public boolean hasNext() {
      return leaf != null && inLeaf < leaf.length;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Entry<K, V> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Entry<K, V> e = new SimpleImmutableEntry<>((K) leaf[inLeaf], (V) leaf[inLeaf + 1]);
      inLeaf += 2;
      advance();
      return e;
    }
  }
}
