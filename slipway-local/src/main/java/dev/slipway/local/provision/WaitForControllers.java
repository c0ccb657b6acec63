package dev.slipway.local.provision;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Waits until {@code scontrol ping}, run where users run it (the first login node, else the
 * primary controller's namespace), reports every controller UP.
 */
final class WaitForControllers implements ProvisionStep {
  private final Duration timeout;

  WaitForControllers(Duration timeout) {
    this.timeout = timeout;
  }

  @Override
  public String description(ProvisionContext c) {
    return "wait for slurmctld to answer (scontrol ping)";
  }

  @Override
  public void run(ProvisionContext c) throws InterruptedException {
    InfraNode from = c.logins().isEmpty() ? c.controllers().get(0) : c.logins().get(0);
    List<String> ping = c.slurmClient(from, "scontrol", "ping");
    Instant deadline = c.clock.instant().plus(timeout);
    String last = "";
    while (true) {
      var r = c.tryRun(ping);
      last = (r.stdout() + r.stderr()).strip();
      if (r.ok() && allUp(last, c.controllers().size())) {
        return;
      }
      if (!c.clock.instant().isBefore(deadline)) {
        throw new ProvisionException("slurmctld did not answer within " + timeout.toSeconds() + " s; scontrol ping said: " + last);
      }
      c.pause.pause(Duration.ofMillis(250));
    }
  }

  /** {@code Slurmctld(primary) at X is UP} for each controller. */
  static boolean allUp(String pingOutput, int controllers) {
    return pingOutput.lines().filter(l -> l.strip().endsWith("is UP")).count() >= controllers;
  }
}
