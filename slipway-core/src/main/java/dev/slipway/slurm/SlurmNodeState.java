package dev.slipway.slurm;

import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * A node's Slurm state: a base state and its flags, plus any flag this version does not know
 * ({@code otherFlags}, kept so that a newer Slurm does not break the reader). {@code raw} is the
 * text it was parsed from; it does not take part in equality.
 *
 * <p>Two forms are parsed. {@link #parse} reads {@code scontrol show node}'s complete form
 * ({@code DOWN+CLOUD+POWERED_DOWN+NOT_RESPONDING}), which loses nothing and is what
 * {@link ScontrolSlurmControl} uses. {@link #parseCompact} reads sinfo's compact form
 * ({@code down~}, {@code drng}, {@code mix-}); that form prints one suffix only and folds some
 * flags into the word, so it is lossy: {@code drain} is read as IDLE+DRAIN though Slurm prints
 * it for DOWN+DRAIN as well, and a suffix hides the flags of lower precedence.
 */
public record SlurmNodeState(NodeBaseState base, Set<NodeFlag> flags, Set<String> otherFlags, String raw) {
  public SlurmNodeState {
    flags = flags.isEmpty() ? Collections.unmodifiableSet(EnumSet.noneOf(NodeFlag.class))
        : Collections.unmodifiableSet(EnumSet.copyOf(flags));
    otherFlags = Set.copyOf(otherFlags);
  }

  public static SlurmNodeState of(NodeBaseState base, NodeFlag... flags) {
    Set<NodeFlag> set = EnumSet.noneOf(NodeFlag.class);
    Collections.addAll(set, flags);
    StringBuilder raw = new StringBuilder(base.name());
    set.forEach(f -> raw.append('+').append(f.name()));
    return new SlurmNodeState(base, set, Set.of(), raw.toString());
  }

  /** Parses {@code scontrol show node}'s {@code State=} value, e.g. {@code IDLE+CLOUD+POWERED_DOWN}. */
  public static SlurmNodeState parse(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException("empty Slurm node state");
    }
    String[] parts = trimmed.split("\\+");
    Set<NodeFlag> flags = EnumSet.noneOf(NodeFlag.class);
    Set<String> other = new LinkedHashSet<>();
    NodeBaseState base = baseOfLongWord(parts[0].toUpperCase(Locale.ROOT), flags);
    for (int i = 1; i < parts.length; i++) {
      String flag = parts[i].toUpperCase(Locale.ROOT);
      switch (flag) {
        // Older spellings and words that mean a flag.
        case "DRAINED": case "DRAINING": flags.add(NodeFlag.DRAIN); break;
        case "MAINT": flags.add(NodeFlag.MAINTENANCE); break;
        case "POWER": flags.add(NodeFlag.POWERED_DOWN); break;
        case "COMP": flags.add(NodeFlag.COMPLETING); break;
        case "": break;
        default:
          try {
            flags.add(NodeFlag.valueOf(flag));
          } catch (IllegalArgumentException unknownFlag) {
            other.add(flag);
          }
      }
    }
    return new SlurmNodeState(base, flags, other, trimmed);
  }

  /**
   * Parses sinfo's compact ({@code %t}) or long ({@code %T}) state, e.g. {@code idle~},
   * {@code alloc#}, {@code drng}, {@code draining}, {@code mix-}. See the class comment for what
   * this form cannot tell.
   */
  public static SlurmNodeState parseCompact(String text) {
    String word = text.trim().toLowerCase(Locale.ROOT);
    if (word.isEmpty()) {
      throw new IllegalArgumentException("empty Slurm node state");
    }
    Set<NodeFlag> flags = EnumSet.noneOf(NodeFlag.class);
    // Slurm 22.05 appends at most one suffix, but a trailing '+' (COMPLETING in the long form) may
    // precede it in some versions; strip suffix characters until a letter remains.
    while (word.length() > 1) {
      char last = word.charAt(word.length() - 1);
      if (last == '+') {
        flags.add(NodeFlag.COMPLETING);
      } else if (NodeFlag.ofSuffix(last).isPresent()) {
        flags.add(NodeFlag.ofSuffix(last).get());
      } else {
        break;
      }
      word = word.substring(0, word.length() - 1);
    }
    NodeBaseState base;
    switch (word) {
      case "idle": base = NodeBaseState.IDLE; break;
      case "alloc": case "allocated": base = NodeBaseState.ALLOCATED; break;
      case "mix": case "mixed": base = NodeBaseState.MIXED; break;
      case "down": base = NodeBaseState.DOWN; break;
      case "err": case "error": base = NodeBaseState.ERROR; break;
      case "futr": case "future": base = NodeBaseState.FUTURE; break;
      case "unk": case "unknown": base = NodeBaseState.UNKNOWN; break;
      case "drain": case "drained": base = NodeBaseState.IDLE; flags.add(NodeFlag.DRAIN); break;
      case "drng": case "draining": base = NodeBaseState.ALLOCATED; flags.add(NodeFlag.DRAIN); break;
      case "comp": case "completing": base = NodeBaseState.IDLE; flags.add(NodeFlag.COMPLETING); break;
      case "fail": base = NodeBaseState.IDLE; flags.add(NodeFlag.FAIL); break;
      case "failg": case "failing": base = NodeBaseState.ALLOCATED; flags.add(NodeFlag.FAIL); break;
      case "maint": base = NodeBaseState.IDLE; flags.add(NodeFlag.MAINTENANCE); break;
      case "resv": case "reserved": base = NodeBaseState.IDLE; flags.add(NodeFlag.RESERVED); break;
      case "plnd": case "planned": base = NodeBaseState.IDLE; flags.add(NodeFlag.PLANNED); break;
      case "boot": case "reboot": base = NodeBaseState.DOWN; flags.add(NodeFlag.REBOOT_ISSUED); break;
      case "inval": base = NodeBaseState.IDLE; flags.add(NodeFlag.INVALID_REG); break;
      case "pow_dn": case "powered_down": base = NodeBaseState.IDLE; flags.add(NodeFlag.POWERED_DOWN); break;
      case "pow_up": case "powering_up": base = NodeBaseState.IDLE; flags.add(NodeFlag.POWERING_UP); break;
      case "powering_down": base = NodeBaseState.IDLE; flags.add(NodeFlag.POWERING_DOWN); break;
      default:
        throw new IllegalArgumentException("unknown Slurm node state '" + text.trim() + "'");
    }
    return new SlurmNodeState(base, flags, Set.of(), text.trim());
  }

  private static NodeBaseState baseOfLongWord(String word, Set<NodeFlag> flags) {
    switch (word) {
      case "ALLOC": return NodeBaseState.ALLOCATED;
      case "MIX": return NodeBaseState.MIXED;
      case "DRAINED": flags.add(NodeFlag.DRAIN); return NodeBaseState.IDLE;
      case "DRAINING": flags.add(NodeFlag.DRAIN); return NodeBaseState.ALLOCATED;
      case "COMPLETING": flags.add(NodeFlag.COMPLETING); return NodeBaseState.IDLE;
      case "FAILING": flags.add(NodeFlag.FAIL); return NodeBaseState.ALLOCATED;
      case "FAIL": flags.add(NodeFlag.FAIL); return NodeBaseState.IDLE;
      case "MAINT": flags.add(NodeFlag.MAINTENANCE); return NodeBaseState.IDLE;
      case "RESERVED": flags.add(NodeFlag.RESERVED); return NodeBaseState.IDLE;
      case "PLANNED": flags.add(NodeFlag.PLANNED); return NodeBaseState.IDLE;
      case "INVAL": flags.add(NodeFlag.INVALID_REG); return NodeBaseState.IDLE;
      default:
        try {
          return NodeBaseState.valueOf(word);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("unknown Slurm node base state '" + word + "'", e);
        }
    }
  }

  public boolean has(NodeFlag flag) {
    return flags.contains(flag);
  }

  /** Powered down, or on its way there: the power-save machinery considers it off. */
  /**
   * Powered down, powering down, or with a power down requested ({@code POWER_DOWN}, sinfo's
   * {@code !}): real 22.05 shows {@code IDLE+CLOUD+POWER_DOWN} right after
   * {@code scontrol update state=POWER_DOWN_FORCE}, with POWERED_DOWN cleared.
   */
  public boolean isPoweredDownOrPoweringDown() {
    return has(NodeFlag.POWERED_DOWN) || has(NodeFlag.POWERING_DOWN) || has(NodeFlag.POWER_DOWN);
  }

  public boolean isPoweringUp() {
    return has(NodeFlag.POWERING_UP) || has(NodeFlag.POWER_UP);
  }

  public boolean isDown() {
    return base == NodeBaseState.DOWN;
  }

  public boolean isDrain() {
    return has(NodeFlag.DRAIN);
  }

  public boolean isNotResponding() {
    return has(NodeFlag.NOT_RESPONDING);
  }

  /** slurmd is registered and the node can run or is running jobs. */
  public boolean isUp() {
    return (base == NodeBaseState.IDLE || base == NodeBaseState.ALLOCATED || base == NodeBaseState.MIXED)
        && !isPoweredDownOrPoweringDown() && !isPoweringUp() && !isNotResponding();
  }

  /** Equal when base and flags are: {@code raw} spelling and flag order do not matter. */
  @Override
  public boolean equals(Object o) {
    return o instanceof SlurmNodeState other
        && base == other.base && flags.equals(other.flags) && otherFlags.equals(other.otherFlags);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(base, flags, otherFlags);
  }

  @Override
  public String toString() {
    return raw;
  }
}
