package dev.slipway.simulate;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the model counted so far. Wait time is submission to the start of the run that
 * completed (or of the last run, for jobs still running); requeues count every return to
 * pending. Host counts are per host, calls count hook invocations.
 */
public record SimStats(
    int jobsSubmitted,
    int jobsRejected,
    int jobsCompleted,
    int jobsFailed,
    int requeues,
    List<Duration> waitTimes,
    int hostsResumed,
    int resumeCalls,
    int hostsSuspended,
    int suspendCalls,
    int resumeFailures,
    int unexpectedRegistrations,
    List<Duration> resumeToRegistered) {
  public SimStats {
    waitTimes = List.copyOf(waitTimes);
    resumeToRegistered = List.copyOf(resumeToRegistered);
  }

  public Optional<DurationSummary> waitSummary() {
    return DurationSummary.of(waitTimes);
  }

  public Optional<DurationSummary> bootSummary() {
    return DurationSummary.of(resumeToRegistered);
  }
}
