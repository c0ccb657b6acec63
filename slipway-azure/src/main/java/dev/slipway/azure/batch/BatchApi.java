package dev.slipway.azure.batch;

/**
 * Constants of the Batch data-plane REST API that the client and the emulator share. The API
 * version is pinned: the emulator and the conformance tests are written against exactly this
 * version's description, so a silent upgrade would make both lie.
 */
public final class BatchApi {
  public static final String API_VERSION = "2025-06-01.21.0";
  /** Microsoft Entra ID scope for Batch data-plane tokens. */
  public static final String TOKEN_SCOPE = "https://batch.core.windows.net/.default";
  /** Content type Batch requires on request bodies (and in the shared-key string to sign). */
  public static final String REQUEST_CONTENT_TYPE = "application/json; odata=minimalmetadata";
  /** Azure Batch accepts at most this many node ids in one removeNodes call. */
  public static final int MAX_REMOVE_NODES = 100;

  private BatchApi() {}
}
