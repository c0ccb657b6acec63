package dev.slipway.engine;

import dev.slipway.spi.ProviderNode;

/** Makes a node run its join script exactly while the reconciler lists the pool: the race the CAS exists for. */
final class NodeProviderSpy {
  private NodeProviderSpy() {}

  static void joinDuringNextListing(World w, ProviderNode node) {
    ScriptedPool pool = w.pools.get(node.poolId());
    pool.onNextListing(() -> {
      JoinResult r = w.join.join(new JoinRequest(World.CLUSTER, node.poolId(), node.id(), w.tokens.get(node.poolId()), node.address().orElseThrow()));
      if (!(r instanceof JoinResult.Accepted)) {
        throw new AssertionError("join failed: " + r);
      }
    });
  }
}
