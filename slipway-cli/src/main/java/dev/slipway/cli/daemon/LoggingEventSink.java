package dev.slipway.cli.daemon;

import dev.slipway.spi.EngineEvent;
import dev.slipway.spi.EventSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes the engine's events to the daemon log: errors and conflicts as warnings, the rest as info. */
final class LoggingEventSink implements EventSink {
  private static final Logger log = LoggerFactory.getLogger("dev.slipway.cli.daemon.events");

  @Override
  public void accept(EngineEvent e) {
    String host = e.attributes().getOrDefault("host", "-");
    String pool = e.attributes().getOrDefault("pool", "-");
    // One event, one log line: scontrol and provider messages may span several lines.
    String message = e.message().strip().replaceAll("\\s*\\R\\s*", " | ");
    if (e.kind().contains("error") || e.kind().contains("conflict") || e.kind().contains("fail") || e.kind().equals("not-leader")) {
      log.warn("{} pool={} host={}: {}", e.kind(), pool, host, message);
    } else {
      log.info("{} pool={} host={}: {}", e.kind(), pool, host, message);
    }
  }
}
