package dev.slipway.local.netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/**
 * Reads the wall clock and the host's CLOCK_BOOTTIME (its uptime) together, which is what the boot
 * time arithmetic of {@link NodeLauncher} needs. A seam so that the arithmetic is unit-tested on
 * chosen readings.
 */
@FunctionalInterface
public interface HostClock {
  /** Wall-clock time and host uptime read at (nearly) the same moment. */
  record Reading(Instant now, Duration uptime) {
    /** The wall-clock instant the host booted. */
    public Instant hostBoot() {
      return now.minus(uptime);
    }
  }

  Reading read();

  /**
   * The real clock: {@code /proc/uptime}, which the kernel prints truncated to hundredths of a
   * second (callers keep a margin for that), read in the root time namespace.
   */
  static HostClock proc(InstantSource wallClock) {
    Path uptime = Path.of("/proc/uptime");
    return () -> {
      try {
        String text = Files.readString(uptime);
        Instant now = wallClock.instant();
        BigDecimal seconds = new BigDecimal(text.strip().split("\\s+")[0]);
        return new Reading(now, Duration.ofNanos(seconds.movePointRight(9).longValueExact()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + uptime, e);
      }
    };
  }
}
