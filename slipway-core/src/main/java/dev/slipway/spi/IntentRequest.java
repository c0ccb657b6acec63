package dev.slipway.spi;

import java.util.List;

/** One host's intent as a hook asks to record it; the store assigns the sequence number. */
public record IntentRequest(String host, String poolId, Intent intent, IntentSource source, List<String> jobIds) {
  public IntentRequest {
    jobIds = List.copyOf(jobIds);
  }
}
