package dev.slipway.local.services;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Objects;

/**
 * The system user and group a service's files belong to ({@code munge}, {@code mysql}), applied
 * with permissions, never following symbolic links.
 */
public record Ownership(String user, String group) {
  public Ownership {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(group, "group");
  }

  public static Ownership of(String userAndGroup) {
    return new Ownership(userAndGroup, userAndGroup);
  }

  /** Sets owner, group and permissions ({@code rwx------} style) of {@code path}. */
  public void apply(Path path, String permissions) {
    try {
      UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
      PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      view.setOwner(lookup.lookupPrincipalByName(user));
      view.setGroup(lookup.lookupPrincipalByGroupName(group));
      view.setPermissions(PosixFilePermissions.fromString(permissions));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot give " + path + " to " + user + ":" + group + " (" + permissions + "): " + e.getMessage(), e);
    }
  }

  /** Creates {@code dir} (and parents) if missing, then owns it with {@code permissions}. */
  public Path directory(Path dir, String permissions) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
    }
    apply(dir, permissions);
    return dir;
  }
}
