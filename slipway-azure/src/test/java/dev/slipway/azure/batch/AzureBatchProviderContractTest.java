package dev.slipway.azure.batch;

import dev.slipway.azure.batch.emulator.BatchEmulator;
import dev.slipway.azure.batch.emulator.EmulatedNodeBackend.Provisioning;
import dev.slipway.azure.batch.emulator.TimedNodeBackend;
import dev.slipway.model.ErrorClass;
import dev.slipway.spi.FaultInjection;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import dev.slipway.testkit.NodeProviderContract;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The provider contract against the azure-batch provider talking HTTP to the Batch emulator, on a
 * fake clock. The provider itself offers no fault injection (Azure does not); the test wraps it
 * in one that steers the emulator's {@link TimedNodeBackend}, so the capacity, quota and
 * preemption cases run through the same REST calls, resize errors and node states as on Azure.
 */
class AzureBatchProviderContractTest extends NodeProviderContract {
  private static final Duration STEP = Duration.ofSeconds(5);

  private final FakeClock clock = new FakeClock(Instant.parse("2026-11-26T10:00:00Z"));
  private final TimedNodeBackend backend = new TimedNodeBackend(clock,
      new TimedNodeBackend.Timings(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofSeconds(10)));
  private BatchEmulator emulator;

  /** The provider as the engine sees it, plus fault injection through the emulator's backend. */
  private final class EmulatedBatch implements NodeProvider, FaultInjection {
    private final AzureBatchNodeProvider provider;
    private final Map<String, int[]> allowances = new HashMap<>();

    EmulatedBatch(AzureBatchNodeProvider provider) {
      this.provider = provider;
    }

    @Override
    public String name() {
      return provider.name();
    }

    @Override
    public List<NodePool> pools() {
      return provider.pools();
    }

    @Override
    public void close() {
      provider.close();
    }

    @Override
    public synchronized void limitAllocation(String poolId, ErrorClass errorClass, int allocatable) {
      String code = switch (errorClass) {
        case CAPACITY -> "AllocationFailed";
        case QUOTA -> "AccountCoreQuotaReached";
        default -> throw new IllegalArgumentException("the emulator refuses allocations with CAPACITY or QUOTA, not " + errorClass);
      };
      allowances.put(poolId, new int[] {allocatable});
      backend.allocateWith(request -> {
        synchronized (EmulatedBatch.this) {
          int[] left = allowances.get(request.poolId());
          if (left == null) return new Provisioning.Allocated();
          if (left[0] > 0) {
            left[0]--;
            return new Provisioning.Allocated();
          }
          return new Provisioning.Refused(code, "emulated " + errorClass + " limit reached");
        }
      });
    }

    @Override
    public synchronized void clearAllocationLimit(String poolId) {
      allowances.remove(poolId);
    }

    @Override
    public List<String> preempt(String poolId, int count) {
      List<String> ids = provider.pool(poolId).orElseThrow().nodes().stream()
          .filter(n -> n.lowPriority() && n.state() == ProviderNodeState.READY)
          .limit(count)
          .map(ProviderNode::id)
          .toList();
      ids.forEach(backend::preempt);
      return ids;
    }
  }

  @Override
  protected NodeProvider createProvider() {
    try {
      emulator = BatchEmulator.start(BatchEmulator.Settings.of("contract", clock, backend).withSharedKey(BatchClientEmulatorTest.KEY));
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the Batch emulator", e);
    }
    BatchClientOptions options = BatchClientOptions.defaults().withClock(clock).withRetry(BatchRetryPolicy.NONE, d -> { });
    BatchClient client = BatchClient.withSharedKey(emulator.url(),
        new BatchSharedKeyCredential(emulator.accountName(), BatchClientEmulatorTest.KEY), options);
    client.addPool(BatchClientEmulatorTest.spec(poolId(), 0, 0));
    return new EmulatedBatch(new AzureBatchNodeProvider(
        List.of(new AzureBatchNodeProvider.PoolBinding(poolId(), emulator.url(), 16)), url -> client, Duration.ofMinutes(15), clock));
  }

  @Override
  protected void destroyProvider(NodeProvider p) {
    try {
      p.close();
    } finally {
      emulator.close();
    }
  }

  @Override
  protected String poolId() {
    return "gpu";
  }

  @Override
  protected void awaitSettled(NodePool pool) {
    Instant deadline = clock.instant().plus(Duration.ofHours(1));
    while (!isSettled(pool)) {
      if (clock.instant().isAfter(deadline)) {
        throw new AssertionError("pool " + pool.id() + " did not settle within an hour of emulated time: " + pool.status());
      }
      clock.advance(STEP);
    }
  }
}
