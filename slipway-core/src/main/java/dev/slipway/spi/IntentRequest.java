package dev.slipway.spi;

import java.util.List;

/** One host's intent as a hook asks to record it; the store assigns the sequence number. */
public record IntentRequest(String host, String poolId, Intent intent, IntentSource source, List<String> jobIds) {
  public IntentRequest {
    jobIds = List.copyOf(jobIds);
  }

  /**
   * Checks what every store needs before recording: all fields present, a non-blank host, and job
   * ids without line breaks (stores keep job ids as one line-separated text). Stores call it for
   * every request of a batch before writing any, so an invalid request records nothing.
   *
   * @return this request
   * @throws NullPointerException or IllegalArgumentException naming the problem
   */
  public IntentRequest requireValid() {
    java.util.Objects.requireNonNull(host, "host");
    java.util.Objects.requireNonNull(poolId, "poolId");
    java.util.Objects.requireNonNull(intent, "intent");
    java.util.Objects.requireNonNull(source, "source");
    if (host.isBlank()) {
      throw new IllegalArgumentException("blank host in intent request " + this);
    }
    for (String job : jobIds) {
      if (job.contains("\n")) {
        throw new IllegalArgumentException("job id contains a line break: " + job.replace("\n", "\\n"));
      }
    }
    return this;
  }
}
