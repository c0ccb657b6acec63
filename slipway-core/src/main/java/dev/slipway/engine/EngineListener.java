package dev.slipway.engine;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.BindingPhase;
import java.time.Duration;
import java.util.Map;

/**
 * Counters the engine reports as it works, for the daemon to export as metrics (the core does not
 * depend on a metrics library). All methods default to doing nothing; they are called on the
 * reconciling thread and must not block.
 */
public interface EngineListener {
  EngineListener NONE = new EngineListener() {};

  /** The stages of a resume, each measured from the end of the previous one. */
  enum ResumeStage {
    /** From the UP intent to the creation of the node that later joined. */
    NODE_CREATED,
    /** From the node's creation to its claim of the host. */
    JOINED,
    /** From the claim to Slurm showing slurmd registered. */
    REGISTERED
  }

  /** One provider call: {@code call} is list, resize or remove; {@code outcome} is ok or an error class. */
  default void providerCall(String poolId, String call, String outcome) {}

  /** One Slurm call: {@code call} is read or the update kind; {@code outcome} ok or error. */
  default void slurmCall(String call, String outcome) {}

  /** A host or pool failure recorded with its class. */
  default void failure(String poolId, ErrorClass errorClass) {}

  /** Bindings by phase after a pass. */
  default void hostsByPhase(Map<BindingPhase, Integer> counts) {}

  default void resumeStage(String poolId, ResumeStage stage, Duration latency) {}

  /** A pass ended after {@code duration} with {@code actions} planned and {@code conflicts} refused writes. */
  default void passCompleted(Duration duration, int actions, int conflicts) {}
}
