package dev.slipway.spi;

/** Which power-save hook (or operator command) recorded an intent. */
public enum IntentSource {
  RESUME,
  SUSPEND,
  RESUME_FAIL,
  OPERATOR
}
