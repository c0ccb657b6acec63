package dev.slipway.spi;

import java.time.Instant;

/**
 * Leadership of a cluster's daemon. {@code fencingToken} increases every time the lease changes
 * holder, so a deposed leader's late writes can be recognised and refused.
 */
public record Lease(String name, String holder, long fencingToken, Instant expiresAt) {}
