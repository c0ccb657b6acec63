package dev.slipway.spi;

/**
 * Where the core reports progress and notable happenings. The core never prints: the CLI renders
 * events (progress, tables), the daemon logs them and counts them in metrics.
 */
@FunctionalInterface
public interface EventSink {
  EventSink NONE = e -> {};

  void accept(EngineEvent event);
}
