package dev.slipway.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.FaultInjection;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.PoolStatus;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderException;
import dev.slipway.spi.ProviderNode;
import dev.slipway.spi.ProviderNodeState;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link NodeProvider} keeps (sim now; netns and azure-batch later), as the
 * engine relies on it. A provider's test extends this class and says how to make a provider with
 * an empty pool of at least {@link #MIN_POOL_SIZE} nodes that takes low-priority nodes, and how to
 * let time pass ({@link #awaitSettled}).
 *
 * <p>Fault cases (capacity, quota, preemption) run when the provider implements
 * {@link FaultInjection} and are skipped otherwise. The "while resizing" cases are skipped when the
 * provider finished the resize before the test could look (a fast local provider may).
 */
public abstract class NodeProviderContract {
  /** The pool under test must allow at least this many nodes. */
  public static final int MIN_POOL_SIZE = 4;

  private static final Set<ProviderNodeState> IN_FLIGHT =
      EnumSet.of(ProviderNodeState.CREATING, ProviderNodeState.STARTING, ProviderNodeState.LEAVING);

  protected NodeProvider provider;
  protected NodePool pool;

  /** A new provider whose pool {@link #poolId()} exists, is empty and steady. */
  protected abstract NodeProvider createProvider();

  protected abstract String poolId();

  /**
   * Lets time pass until the pool is settled (see {@link #isSettled}); fails the test if that does
   * not happen within the provider's deadline. Simulated providers advance their virtual clock;
   * real ones poll with a deadline.
   */
  protected abstract void awaitSettled(NodePool pool);

  /** Frees what the provider holds; by default {@link NodeProvider#close()}. */
  protected void destroyProvider(NodeProvider p) {
    p.close();
  }

  /** Not resizing, and no node creating, starting or leaving. */
  protected static boolean isSettled(NodePool pool) {
    return !pool.isResizing() && pool.nodes().stream().noneMatch(n -> IN_FLIGHT.contains(n.state()));
  }

  @BeforeEach
  final void createPool() {
    provider = createProvider();
    pool = provider.pool(poolId()).orElseThrow(() -> new AssertionError("provider has no pool " + poolId()));
    assertThat(pool.maxSize()).as("max size of the pool under test").isGreaterThanOrEqualTo(MIN_POOL_SIZE);
    assertThat(pool.nodes()).as("nodes of a new pool").isEmpty();
  }

  @AfterEach
  final void destroyPool() {
    if (provider != null) {
      destroyProvider(provider);
    }
  }

  private Optional<FaultInjection> faults() {
    return provider instanceof FaultInjection f ? Optional.of(f) : Optional.empty();
  }

  private FaultInjection requireFaults() {
    assumeThat(faults()).as("provider offers FaultInjection").isPresent();
    return faults().get();
  }

  private List<ProviderNode> settledNodes() {
    awaitSettled(pool);
    assertThat(isSettled(pool)).as("pool settled after awaitSettled").isTrue();
    return pool.nodes();
  }

  private static ProviderException refusal(Runnable call) {
    try {
      call.run();
    } catch (ProviderException e) {
      return e;
    }
    throw new AssertionError("expected a ProviderException");
  }

  @Test
  void provider_hasARegistryName() {
    assertThat(provider.name()).isNotBlank();
    assertThat(provider.pools()).extracting(NodePool::id).contains(poolId());
  }

  @Test
  void resize_growsNodesUpToTheTargetAndReportsLowPriority() {
    pool.resize(new PoolTarget(2, 1));
    assertThat(pool.targetSize()).isEqualTo(new PoolTarget(2, 1));

    List<ProviderNode> nodes = settledNodes();

    assertThat(nodes).hasSize(3);
    assertThat(nodes).allSatisfy(n -> {
      assertThat(n.state()).isEqualTo(ProviderNodeState.READY);
      assertThat(n.poolId()).isEqualTo(poolId());
      assertThat(n.address()).isPresent();
      assertThat(n.error()).isEmpty();
    });
    assertThat(nodes).extracting(ProviderNode::id).doesNotHaveDuplicates();
    assertThat(nodes).filteredOn(ProviderNode::lowPriority).hasSize(1);
    assertThat(nodes).filteredOn(n -> !n.lowPriority()).hasSize(2);
    PoolStatus status = pool.status();
    assertThat(status.resizing()).isFalse();
    assertThat(status.target()).isEqualTo(new PoolTarget(2, 1));
    assertThat(status.resizeErrors()).isEmpty();
  }

  @Test
  void node_ofEachListedNode_isThatNodeAsListed() {
    pool.resize(new PoolTarget(2, 1));
    List<ProviderNode> booting = pool.nodes();
    assertThat(booting).allSatisfy(n -> assertThat(pool.node(n.id()))
        .as("lookup of node %s while the pool grows", n.id())
        .hasValueSatisfying(found -> {
          assertThat(found.id()).isEqualTo(n.id());
          assertThat(found.poolId()).isEqualTo(poolId());
          assertThat(found.lowPriority()).isEqualTo(n.lowPriority());
        }));

    List<ProviderNode> nodes = settledNodes();

    assertThat(nodes).hasSize(3);
    assertThat(nodes).allSatisfy(n -> assertThat(pool.node(n.id())).as("lookup of settled node %s", n.id()).contains(n));
  }

  @Test
  void node_ofAnIdThePoolDoesNotList_isEmpty() {
    assertThat(pool.node("no-such-node")).as("lookup in an empty pool").isEmpty();
    pool.resize(new PoolTarget(1, 0));
    settledNodes();

    assertThat(pool.node("no-such-node")).as("lookup of an unknown id").isEmpty();
  }

  @Test
  void node_ofARemovedNode_isEmptyOnceItIsGone() {
    pool.resize(new PoolTarget(2, 0));
    List<ProviderNode> nodes = settledNodes();
    String removed = nodes.get(0).id();

    pool.remove(List.of(removed));
    settledNodes();

    assertThat(pool.node(removed)).isEmpty();
    assertThat(pool.node(nodes.get(1).id())).map(ProviderNode::id).contains(nodes.get(1).id());
  }

  @Test
  void resize_toLessThanItHas_shrinksThePool() {
    pool.resize(new PoolTarget(3, 0));
    settledNodes();
    pool.resize(new PoolTarget(1, 0));

    assertThat(settledNodes()).hasSize(1);
    assertThat(pool.targetSize()).isEqualTo(new PoolTarget(1, 0));
  }

  @Test
  void resize_aboveMaxSize_isRefusedAsConfiguration() {
    ProviderException e = refusal(() -> pool.resize(new PoolTarget(pool.maxSize(), 1)));

    assertThat(e.error().errorClass()).isEqualTo(ErrorClass.CONFIGURATION);
    assertThat(pool.targetSize()).isEqualTo(PoolTarget.ZERO);
    assertThat(pool.isResizing()).isFalse();
  }

  @Test
  void resize_whileResizing_isRefusedWithResizeInProgress() {
    pool.resize(new PoolTarget(1, 0));
    assumeThat(pool.isResizing()).as("first resize still running").isTrue();

    ProviderException e = refusal(() -> pool.resize(new PoolTarget(2, 0)));

    assertThat(e.error().errorClass()).isEqualTo(ErrorClass.RESIZE_IN_PROGRESS);
    assertThat(pool.targetSize()).isEqualTo(new PoolTarget(1, 0));
    assertThat(settledNodes()).hasSize(1);
  }

  @Test
  void remove_whileResizing_isRefusedWithResizeInProgress() {
    pool.resize(new PoolTarget(1, 0));
    String nodeId = settledNodes().get(0).id();
    pool.resize(new PoolTarget(2, 0));
    assumeThat(pool.isResizing()).as("resize still running").isTrue();

    ProviderException e = refusal(() -> pool.remove(List.of(nodeId)));

    assertThat(e.error().errorClass()).isEqualTo(ErrorClass.RESIZE_IN_PROGRESS);
    assertThat(settledNodes()).extracting(ProviderNode::id).contains(nodeId);
  }

  @Test
  void remove_ofMoreThanTheLimitOfIds_isRefusedBeforeAnythingChanges() {
    List<String> ids = IntStream.rangeClosed(0, NodePool.MAX_REMOVE_PER_CALL).mapToObj(i -> "node-" + i).toList();

    assertThatThrownBy(() -> pool.remove(ids)).isInstanceOf(IllegalArgumentException.class);
    assertThat(pool.isResizing()).isFalse();
  }

  @Test
  void remove_lowersTheTargetOfTheRemovedTypeAndTheNodesDisappear() {
    pool.resize(new PoolTarget(2, 1));
    List<ProviderNode> nodes = settledNodes();
    ProviderNode dedicated = nodes.stream().filter(n -> !n.lowPriority()).findFirst().orElseThrow();
    ProviderNode lowPriority = nodes.stream().filter(ProviderNode::lowPriority).findFirst().orElseThrow();

    pool.remove(List.of(dedicated.id(), lowPriority.id()));

    assertThat(pool.targetSize()).isEqualTo(new PoolTarget(1, 0));
    List<ProviderNode> after = settledNodes();
    assertThat(after).extracting(ProviderNode::id).doesNotContain(dedicated.id(), lowPriority.id()).hasSize(1);
    assertThat(pool.targetSize()).isEqualTo(new PoolTarget(1, 0));
  }

  @Test
  void remove_ignoresIdsThePoolDoesNotList() {
    pool.resize(new PoolTarget(2, 0));
    List<ProviderNode> nodes = settledNodes();

    pool.remove(List.of("no-such-node"));
    assertThat(pool.isResizing()).as("removing only unknown ids starts nothing").isFalse();
    assertThat(pool.targetSize()).isEqualTo(new PoolTarget(2, 0));

    pool.remove(List.of(nodes.get(0).id(), "no-such-node"));
    assertThat(pool.targetSize()).isEqualTo(new PoolTarget(1, 0));
    assertThat(settledNodes()).extracting(ProviderNode::id).containsExactly(nodes.get(1).id());
  }

  @Test
  void remove_ofNothing_changesNothing() {
    pool.remove(List.of());
    assertThat(pool.isResizing()).isFalse();
    assertThat(pool.targetSize()).isEqualTo(PoolTarget.ZERO);
  }

  @Test
  void resize_withoutCapacity_allocatesWhatItCanAndReportsACapacityError() {
    FaultInjection faults = requireFaults();
    faults.limitAllocation(poolId(), ErrorClass.CAPACITY, 1);

    pool.resize(new PoolTarget(3, 0));

    assertThat(settledNodes()).hasSize(1);
    PoolStatus status = pool.status();
    assertThat(status.target()).as("the target stays as asked").isEqualTo(new PoolTarget(3, 0));
    assertThat(status.resizeErrors()).extracting(ProviderError::errorClass).containsExactly(ErrorClass.CAPACITY);

    faults.clearAllocationLimit(poolId());
    pool.resize(new PoolTarget(3, 0));
    assertThat(settledNodes()).hasSize(3);
    assertThat(pool.status().resizeErrors()).as("a successful resize clears the errors").isEmpty();
  }

  @Test
  void resize_overQuota_reportsAQuotaErrorAndAllocatesNothing() {
    FaultInjection faults = requireFaults();
    faults.limitAllocation(poolId(), ErrorClass.QUOTA, 0);

    pool.resize(new PoolTarget(2, 0));

    assertThat(settledNodes()).isEmpty();
    assertThat(pool.status().resizeErrors()).extracting(ProviderError::errorClass).containsExactly(ErrorClass.QUOTA);
  }

  @Test
  void preempt_turnsRunningLowPriorityNodesPreemptedAndLeavesDedicatedOnes() {
    FaultInjection faults = requireFaults();
    pool.resize(new PoolTarget(1, 2));
    settledNodes();

    List<String> preempted = faults.preempt(poolId(), 5);

    assertThat(preempted).hasSize(2);
    List<ProviderNode> nodes = new ArrayList<>(pool.nodes());
    assertThat(nodes).filteredOn(n -> preempted.contains(n.id())).allSatisfy(n -> {
      assertThat(n.lowPriority()).isTrue();
      assertThat(n.state()).isEqualTo(ProviderNodeState.PREEMPTED);
      assertThat(n.error()).map(ProviderError::errorClass).contains(ErrorClass.PREEMPTED);
    });
    assertThat(nodes).filteredOn(n -> !n.lowPriority()).extracting(ProviderNode::state).containsExactly(ProviderNodeState.READY);

    pool.remove(preempted);
    assertThat(settledNodes()).hasSize(1);
    assertThat(pool.targetSize()).isEqualTo(new PoolTarget(1, 0));
  }
}
