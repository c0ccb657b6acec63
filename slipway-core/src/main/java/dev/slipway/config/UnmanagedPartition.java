package dev.slipway.config;

import java.util.List;

/** An on-premises (static) partition appended verbatim: one PartitionName= line and its NodeName= lines. */
public record UnmanagedPartition(String partition, List<String> nodes) {
  public UnmanagedPartition {
    nodes = List.copyOf(nodes);
  }
}
