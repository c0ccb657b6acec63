package dev.slipway.local.provision;

import java.util.Map;

/**
 * The cluster's bridge and one namespace per controller and login node, each with an
 * infrastructure address. Every namespace is recorded before it is made.
 */
final class CreateNetwork implements ProvisionStep {
  @Override
  public String description(ProvisionContext c) {
    return "create bridge " + c.network.bridgeName() + " (" + c.network.subnet() + ") and " + c.infraNodes().size() + " namespaces";
  }

  @Override
  public void run(ProvisionContext c) {
    c.ledger.record(Ledger.Entry.of("bridge", c.network.bridgeName()));
    c.network.ensureBridge();
    for (InfraNode node : c.infraNodes()) {
      int offset = c.allocateAddress(node);
      String ns = c.namespace(node);
      c.ledger.record(Ledger.Entry.of("namespace", ns, Integer.toString(offset), node.name()));
      if (!c.network.namespaces().contains(ns)) {
        c.network.createNamespace(ns, offset);
      }
      c.emit("provision.namespace", node.name() + " at " + c.subnetAddress(offset), Map.of("node", node.name(), "namespace", ns));
    }
  }
}
