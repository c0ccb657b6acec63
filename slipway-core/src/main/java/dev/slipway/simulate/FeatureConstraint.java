package dev.slipway.simulate;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A job's {@code --constraint} in the subset Slurm users write for node features: {@code a},
 * {@code a&b} (every node has both) and {@code a|b} (every node has at least one), where
 * {@code &} binds tighter than {@code |}; {@code ,} is read as {@code &}. Brackets, counts and
 * matching-OR are not modelled and are rejected.
 */
public record FeatureConstraint(String text, List<Set<String>> alternatives) {
  public FeatureConstraint {
    alternatives = alternatives.stream().map(Set::copyOf).toList();
  }

  public static FeatureConstraint parse(String text) {
    String t = text.trim();
    if (t.isEmpty()) {
      throw new IllegalArgumentException("constraint is empty");
    }
    for (char c : t.toCharArray()) {
      if ("[]()*:!".indexOf(c) >= 0) {
        throw new IllegalArgumentException(
            "constraint '" + text + "' uses '" + c + "', which the simulator does not model; use a, a&b or a|b");
      }
    }
    List<Set<String>> alternatives = new ArrayList<>();
    for (String alt : t.split("\\|", -1)) {
      Set<String> all = new LinkedHashSet<>();
      for (String f : alt.split("[&,]", -1)) {
        String feature = f.trim();
        if (feature.isEmpty()) {
          throw new IllegalArgumentException("constraint '" + text + "' has an empty feature name");
        }
        all.add(feature);
      }
      alternatives.add(all);
    }
    return new FeatureConstraint(t, alternatives);
  }

  public boolean matches(Collection<String> hostFeatures) {
    return alternatives.stream().anyMatch(hostFeatures::containsAll);
  }
}
