package dev.slipway.slurm;

import dev.slipway.model.VmSize;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;

/**
 * VM sizes by name (case-insensitive): vCPUs, memory, GPUs and InfiniBand class. The shipped
 * catalog ({@code vm-sizes.csv} beside this class, with its source in its header) covers the
 * common Azure sizes; {@link #withDeclared} layers the sizes a user declared under
 * {@code slipway: vm_sizes:} on top, so an unknown or newer size never needs a Slipway release
 * (Batch Shipyard's closed regex tables raised on any size they did not know, bug 36).
 */
public final class VmSizeCatalog {
  static final String RESOURCE = "vm-sizes.csv";
  private static final String HEADER = "name,vcpus,memory_mib,gpus,gpu_model,rdma";

  private final TreeMap<String, VmSize> sizes;

  private VmSizeCatalog(TreeMap<String, VmSize> sizes) {
    this.sizes = sizes;
  }

  /** The catalog shipped with Slipway. */
  public static VmSizeCatalog shipped() {
    try (InputStream in = VmSizeCatalog.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the VM size catalog " + RESOURCE + " is missing from the class path");
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), RESOURCE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the VM size catalog " + RESOURCE, e);
    }
  }

  /** A catalog holding exactly {@code sizes} (later entries of the same name win). */
  public static VmSizeCatalog of(Collection<VmSize> sizes) {
    TreeMap<String, VmSize> map = new TreeMap<>();
    sizes.forEach(s -> map.put(s.name(), s));
    return new VmSizeCatalog(map);
  }

  /**
   * Parses catalog text: a header line {@value #HEADER}, one size per line, {@code #} comments and
   * blank lines ignored. Any malformed line is an error naming the source and line: a silently
   * skipped size would later surface as a confusing "unknown VM size".
   */
  public static VmSizeCatalog parse(String csv, String sourceName) {
    TreeMap<String, VmSize> map = new TreeMap<>();
    boolean headerSeen = false;
    List<String> lines = csv.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = sourceName + ":" + (i + 1);
      if (!headerSeen) {
        if (!line.equals(HEADER)) {
          throw new IllegalArgumentException(where + ": expected the header \"" + HEADER + "\" but found \"" + line + "\"");
        }
        headerSeen = true;
        continue;
      }
      String[] f = line.split(",", -1);
      if (f.length != 6) {
        throw new IllegalArgumentException(where + ": expected 6 comma-separated fields (" + HEADER + ") but found " + f.length);
      }
      try {
        VmSize size = new VmSize(
            f[0].strip(),
            Integer.parseInt(f[1].strip()),
            Long.parseLong(f[2].strip()),
            Integer.parseInt(f[3].strip()),
            optional(f[4]),
            optional(f[5]));
        if (size.gpus() > 0 != size.gpuModel().isPresent()) {
          throw new IllegalArgumentException("gpus and gpu_model must be given together");
        }
        if (map.put(size.name(), size) != null) {
          throw new IllegalArgumentException("size " + size.name() + " is listed twice");
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
    if (!headerSeen) {
      throw new IllegalArgumentException(sourceName + ": no header line \"" + HEADER + "\"");
    }
    return new VmSizeCatalog(map);
  }

  private static Optional<String> optional(String field) {
    String s = field.strip().toLowerCase(Locale.ROOT);
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  /** This catalog with {@code declared} added; a declared size replaces a catalog size of the same name. */
  public VmSizeCatalog withDeclared(Collection<VmSize> declared) {
    TreeMap<String, VmSize> map = new TreeMap<>(sizes);
    declared.forEach(s -> map.put(s.name(), s));
    return new VmSizeCatalog(map);
  }

  /** The size called {@code name}, compared case-insensitively. */
  public Optional<VmSize> find(String name) {
    return Optional.ofNullable(sizes.get(name.strip().toLowerCase(Locale.ROOT)));
  }

  /** Every size, ordered by name. */
  public Collection<VmSize> sizes() {
    return Collections.unmodifiableCollection(sizes.values());
  }
}
