package dev.slipway.azure.bootstrap;

/**
 * Which VM a cloud-init document is for: controller {@code index} (0 is the primary, which also
 * runs slurmdbd when accounting is on) or login node {@code index}.
 */
public record Role(Kind kind, int index) {
  public enum Kind { CONTROLLER, LOGIN }

  public Role {
    if (index < 0) throw new IllegalArgumentException("index must be >= 0, got " + index);
  }

  public static Role controller(int index) {
    return new Role(Kind.CONTROLLER, index);
  }

  public static Role login(int index) {
    return new Role(Kind.LOGIN, index);
  }

  public boolean isPrimaryController() {
    return kind == Kind.CONTROLLER && index == 0;
  }
}
