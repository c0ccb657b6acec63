package dev.slipway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.engine.JoinResult.Accepted;
import dev.slipway.engine.JoinResult.Rejected;
import dev.slipway.engine.JoinResult.Rejection;
import dev.slipway.model.ErrorClass;
import dev.slipway.model.NodeType;
import dev.slipway.model.Secret;
import dev.slipway.spi.BindingPhase;
import dev.slipway.spi.HostBinding;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.NodePool;
import dev.slipway.spi.NodeProvider;
import dev.slipway.spi.PoolTarget;
import dev.slipway.spi.ProviderError;
import dev.slipway.spi.ProviderNode;
import dev.slipway.testkit.FakeClock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class JoinServiceTest {
  private final World w = new World(
      new PoolTopology("gpu", "gpu", 4, NodeType.DEDICATED, "batch", 1, Set.of()),
      new PoolTopology("cpu", "cpu", 4, NodeType.DEDICATED, "batch", 1, Set.of()));

  /** Resumes hosts, lets the reconciler ask for nodes and the pool create them, without any join yet. */
  private List<ProviderNode> nodesFor(String pool, String... hosts) {
    w.resume(hosts);
    w.pass();
    w.pools.get(pool).completeResize();
    w.pools.get(pool).bootAll();
    return w.pools.get(pool).nodes();
  }

  private JoinResult join(ProviderNode n) {
    return w.join.join(new JoinRequest(World.CLUSTER, n.poolId(), n.id(), w.tokens.get(n.poolId()), n.address().orElseThrow()));
  }

  private static String host(JoinResult r) {
    assertThat(r).isInstanceOf(Accepted.class);
    return ((Accepted) r).response().host();
  }

  private static void assertRejected(JoinResult r, Rejection reason) {
    assertThat(r).isInstanceOfSatisfying(Rejected.class, x -> assertThat(x.reason()).isEqualTo(reason));
  }

  @Test
  void join_assignsTheOldestRequestedHostOfItsPoolAndAnswersWhatTheNodeNeeds() {
    w.resume("gpu-3");
    w.clock.advance(java.time.Duration.ofSeconds(1));
    List<ProviderNode> nodes = nodesFor("gpu", "gpu-1");

    JoinResult r = join(nodes.get(0));

    assertThat(host(r)).isEqualTo("gpu-3");
    JoinResponse resp = ((Accepted) r).response();
    assertThat(resp.controllers()).containsExactly("10.9.0.1:8443");
    assertThat(resp.mungeKey().reveal()).isEqualTo("munge");
    assertThat(resp.toString()).doesNotContain("munge,");
    HostBinding b = w.store.binding("gpu-3").orElseThrow();
    assertThat(b.phase()).isEqualTo(BindingPhase.JOINED);
    assertThat(b.nodeId()).contains(nodes.get(0).id());
    assertThat(b.address()).isEqualTo(nodes.get(0).address());
    assertThat(host(join(nodes.get(1)))).isEqualTo("gpu-1");
  }

  @Test
  void join_ofAHostResumedBySlurm_carriesTheTimeTheResumeProgramRecorded() {
    java.time.Instant resumedAt = w.clock.instant();
    List<ProviderNode> nodes = nodesFor("gpu", "gpu-0");
    w.clock.advance(java.time.Duration.ofSeconds(3));

    JoinResult r = join(nodes.get(0));

    assertThat(((Accepted) r).response().resumeRequestedAt()).contains(resumedAt);
  }

  @Test
  void join_again_afterANewerResume_carriesTheNewerResumeTime() {
    List<ProviderNode> nodes = nodesFor("gpu", "gpu-0");
    host(join(nodes.get(0)));
    w.clock.advance(java.time.Duration.ofSeconds(5));
    java.time.Instant again = w.clock.instant();
    w.record(Intent.UP, IntentSource.RESUME, List.of("gpu-0"));

    JoinResult r = join(nodes.get(0));

    assertThat(((Accepted) r).response().resumeRequestedAt()).contains(again);
  }

  @Test
  void join_whenTheHostsLatestIntentIsAnOperators_carriesNoResumeTime_soTheNodeAnchorsAtTheJoin() {
    ProviderNode n = nodesFor("gpu", "gpu-0").get(0);
    w.clock.advance(java.time.Duration.ofSeconds(2));
    w.record(Intent.UP, IntentSource.OPERATOR, List.of("gpu-0"));

    JoinResult r = join(n);

    assertThat(host(r)).isEqualTo("gpu-0");
    assertThat(((Accepted) r).response().resumeRequestedAt()).isEmpty();
  }

  @Test
  void join_again_bySameNode_returnsTheSameHostAndClaimsNoOther() {
    List<ProviderNode> nodes = nodesFor("gpu", "gpu-0", "gpu-1");

    String first = host(join(nodes.get(0)));
    String again = host(join(nodes.get(0)));

    assertThat(again).isEqualTo(first);
    assertThat(w.bindings(BindingPhase.JOINED)).isEqualTo(1);
  }

  @Test
  void join_withWrongToken_isRejected() {
    ProviderNode n = nodesFor("gpu", "gpu-0").get(0);
    JoinResult r = w.join.join(new JoinRequest(World.CLUSTER, "gpu", n.id(), Secret.of("token-cpu"), n.address().orElseThrow()));
    assertRejected(r, Rejection.BAD_TOKEN);
    assertThat(w.bindings(BindingPhase.JOINED)).isZero();
  }

  @Test
  void join_forAnotherClusterOrAnUnknownPool_isRejected() {
    ProviderNode n = nodesFor("gpu", "gpu-0").get(0);
    assertRejected(w.join.join(new JoinRequest("other", "gpu", n.id(), w.tokens.get("gpu"), n.address().orElseThrow())), Rejection.WRONG_CLUSTER);
    assertRejected(w.join.join(new JoinRequest(World.CLUSTER, "nope", n.id(), w.tokens.get("gpu"), n.address().orElseThrow())), Rejection.UNKNOWN_POOL);
  }

  @Test
  void join_ofANodeTheProviderDoesNotListInThatPool_isRejected() {
    ProviderNode n = nodesFor("gpu", "gpu-0").get(0);
    assertRejected(w.join.join(new JoinRequest(World.CLUSTER, "gpu", "gpu-node-999", w.tokens.get("gpu"), n.address().orElseThrow())),
        Rejection.UNKNOWN_NODE);
    // The right node id, but claimed for another pool (with that pool's valid token).
    assertRejected(w.join.join(new JoinRequest(World.CLUSTER, "cpu", n.id(), w.tokens.get("cpu"), n.address().orElseThrow())),
        Rejection.UNKNOWN_NODE);
  }

  @Test
  void join_fromAnotherAddressThanTheProviderLists_isRejected() {
    ProviderNode n = nodesFor("gpu", "gpu-0").get(0);
    assertRejected(w.join.join(new JoinRequest(World.CLUSTER, "gpu", n.id(), w.tokens.get("gpu"), "192.168.66.6")), Rejection.ADDRESS_MISMATCH);
  }

  @Test
  void join_whenOnlyHostsOfAnotherPoolWait_findsNoHost() {
    ProviderNode n = nodesFor("gpu", "gpu-0").get(0);
    host(join(n));
    w.resume("cpu-0");
    w.pass();
    w.pools.get("gpu").resize(new PoolTarget(2, 0));
    w.pools.get("gpu").completeResize();
    w.pools.get("gpu").bootAll();
    ProviderNode extra = w.pools.get("gpu").nodes().get(1);

    assertRejected(join(extra), Rejection.NO_HOST_WAITING);
  }

  @Test
  void join_skipsRequestedHostsWhoseIntentIsAlreadyDown() {
    List<ProviderNode> nodes = nodesFor("gpu", "gpu-0", "gpu-1");
    w.record(Intent.DOWN, IntentSource.SUSPEND, List.of("gpu-0"));

    assertThat(host(join(nodes.get(0)))).isEqualTo("gpu-1");
    assertRejected(join(nodes.get(1)), Rejection.NO_HOST_WAITING);
  }

  @Test
  void join_ofANodeWhoseHostIsBeingReleased_isRejected() {
    ProviderNode n = nodesFor("gpu", "gpu-0").get(0);
    host(join(n));
    HostBinding b = w.store.binding("gpu-0").orElseThrow();
    w.store.putBinding(b.withPhase(BindingPhase.RELEASING, w.clock.instant()));

    assertRejected(join(n), Rejection.NODE_RELEASED);
  }

  @Test
  void join_retriesWithTheNextHostWhenAnotherClaimWinsTheCompareAndSet() {
    List<ProviderNode> nodes = nodesFor("gpu", "gpu-0", "gpu-1");
    AtomicBoolean raced = new AtomicBoolean();
    // A store view whose first claim loses: another daemon took gpu-0 an instant earlier.
    StoreRace store = new StoreRace(w.store, () -> {
      if (raced.compareAndSet(false, true)) {
        HostBinding b = w.store.binding("gpu-0").orElseThrow();
        w.store.putBinding(new HostBinding("gpu-0", "gpu", BindingPhase.JOINED, Optional.of("someone-else"), Optional.of("10.0.0.99"),
            b.intentSeq(), w.clock.instant(), Optional.empty(), b.version()));
      }
    });
    JoinService service = new JoinService(store, w.provider,
        new JoinSettings(World.CLUSTER, w.tokens, List.of("c"), Secret.of("m"), List.of()), w.clock, e -> {});

    JoinResult r = service.join(new JoinRequest(World.CLUSTER, "gpu", nodes.get(0).id(), w.tokens.get("gpu"), nodes.get(0).address().orElseThrow()));

    assertThat(raced).isTrue();
    assertThat(host(r)).isEqualTo("gpu-1");
  }

  @Test
  void join_whenTheProviderCannotBeAsked_isUnavailable() {
    NodeProvider broken = new NodeProvider() {
      @Override
      public String name() {
        return "broken";
      }

      @Override
      public List<NodePool> pools() {
        throw new dev.slipway.spi.ProviderException(new ProviderError(ErrorClass.TRANSIENT, "Timeout", "list timed out"));
      }
    };
    JoinService service = new JoinService(w.store, broken,
        new JoinSettings(World.CLUSTER, w.tokens, List.of("c"), Secret.of("m"), List.of()), new FakeClock(), e -> {});

    assertRejected(service.join(new JoinRequest(World.CLUSTER, "gpu", "n", w.tokens.get("gpu"), "10.0.0.1")), Rejection.UNAVAILABLE);
  }

  @Test
  void join_looksUpOnlyItsOwnNode_andNeverListsThePool() {
    List<ProviderNode> nodes = nodesFor("gpu", "gpu-0");
    NodePool real = w.pools.get("gpu");
    List<String> lookups = new java.util.ArrayList<>();
    NodePool lookupOnly = new NodePool() {
      @Override public String id() { return real.id(); }
      @Override public int maxSize() { return real.maxSize(); }
      @Override public dev.slipway.spi.PoolStatus status() { return real.status(); }
      @Override public List<ProviderNode> nodes() { throw new AssertionError("a join listed the pool's nodes"); }
      @Override public Optional<ProviderNode> node(String nodeId) {
        lookups.add(nodeId);
        return real.node(nodeId);
      }
      @Override public void resize(PoolTarget target) { throw new AssertionError("a join resized"); }
      @Override public void remove(java.util.Collection<String> nodeIds) { throw new AssertionError("a join removed nodes"); }
    };
    NodeProvider provider = new NodeProvider() {
      @Override public String name() { return "lookup-only"; }
      @Override public List<NodePool> pools() { return List.of(lookupOnly); }
    };
    JoinService service = new JoinService(w.store, provider,
        new JoinSettings(World.CLUSTER, w.tokens, List.of("c"), Secret.of("m"), List.of()), w.clock, e -> {});

    JoinResult r = service.join(new JoinRequest(World.CLUSTER, "gpu", nodes.get(0).id(), w.tokens.get("gpu"), nodes.get(0).address().orElseThrow()));
    JoinResult stranger = service.join(new JoinRequest(World.CLUSTER, "gpu", "not-a-node", w.tokens.get("gpu"), "10.0.0.1"));

    assertThat(host(r)).isEqualTo("gpu-0");
    assertRejected(stranger, Rejection.UNKNOWN_NODE);
    assertThat(lookups).containsExactly(nodes.get(0).id(), "not-a-node");
  }

  @Test
  void sameSecret_comparesWholeValues() {
    assertThat(JoinService.sameSecret(Secret.of("abc"), Secret.of("abc"))).isTrue();
    assertThat(JoinService.sameSecret(Secret.of("abc"), Secret.of("abd"))).isFalse();
    assertThat(JoinService.sameSecret(Secret.of("abc"), Secret.of("abcd"))).isFalse();
    assertThat(JoinService.sameSecret(Secret.of(""), Secret.of(""))).as("an empty token never matches").isFalse();
  }

  @Test
  void joinSettings_neverPrintTheirSecrets() {
    JoinSettings s = new JoinSettings("c", Map.of("gpu", Secret.of("tok-123")), List.of(), Secret.of("key-456"), List.of());
    assertThat(s.toString()).doesNotContain("tok-123").doesNotContain("key-456");
  }
}
