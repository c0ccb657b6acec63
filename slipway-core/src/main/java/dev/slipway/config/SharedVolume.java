package dev.slipway.config;

/**
 * A shared data volume mounted on every node at {@code mountPath} (Batch Shipyard's
 * {@code host_mount_path}, or {@code mount_path} as its docs spell it).
 */
public record SharedVolume(String id, String mountPath, boolean storeSlurmctldState) {}
