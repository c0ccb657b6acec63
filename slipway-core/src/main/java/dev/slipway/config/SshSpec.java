package dev.slipway.config;

import java.nio.file.Path;
import java.util.Optional;

/** SSH settings of a node group; the login group's user is the cluster user everywhere. */
public record SshSpec(
    String username,
    Optional<Path> sshPublicKey,
    Optional<String> sshPublicKeyData,
    Optional<Path> sshPrivateKey,
    Optional<Path> generatedFileExportPath) {}
