package dev.slipway.azure.batch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.ProviderNodeState;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The table in docs/azure-batch.md, row by row. */
class BatchErrorMappingTest {
  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource({
      "409, PoolResizeInProgress, RESIZE_IN_PROGRESS",
      "409, OperationConflict, RESIZE_IN_PROGRESS",
      "409, SomethingElseConflicting, RESIZE_IN_PROGRESS",
      "409, PoolBeingDeleted, CONFIGURATION",
      "409, PoolExists, CONFIGURATION",
      "0, AccountCoreQuotaReached, QUOTA",
      "0, AccountLowPriorityCoreQuotaReached, QUOTA",
      "0, AccountVMSeriesCoreQuotaReached, QUOTA",
      "409, PoolQuotaReached, QUOTA",
      "0, AllocationFailed, CAPACITY",
      "0, AllocationTimedout, CAPACITY",
      "0, OverconstrainedAllocationRequest, CAPACITY",
      "500, InternalError, TRANSIENT",
      "503, ServerBusy, TRANSIENT",
      "429, TooManyRequests, TRANSIENT",
      "408, OperationTimedOut, TRANSIENT",
      "401, MissingRequiredHeader, CONFIGURATION",
      "403, AuthenticationFailed, CONFIGURATION",
      "404, PoolNotFound, CONFIGURATION",
      "400, InvalidPropertyValue, CONFIGURATION",
      "0, InvalidImageReference, CONFIGURATION",
  })
  void classify_mapsCodesAndStatuses(int status, String code, ErrorClass expected) {
    assertThat(BatchErrorMapping.classify(status, code)).isEqualTo(expected);
  }

  @Test
  void nodeStates_mapToProviderStatesAndErrors() {
    assertThat(BatchNodeState.fromWire("starttaskfailed")).contains(BatchNodeState.START_TASK_FAILED);
    assertThat(BatchNodeState.WAITING_FOR_START_TASK.toProviderState()).isEqualTo(ProviderNodeState.STARTING);
    assertThat(BatchNodeState.IDLE.toProviderState()).isEqualTo(ProviderNodeState.READY);
    assertThat(BatchNodeState.LEAVING_POOL.toProviderState()).isEqualTo(ProviderNodeState.LEAVING);
    BatchNodeInfo failed = new BatchNodeInfo("n", BatchNodeState.START_TASK_FAILED, true, Optional.empty(), Optional.empty(),
        Optional.of("FailureExitCode"), Optional.of("exit 1"));
    assertThat(failed.error()).hasValueSatisfying(e -> {
      assertThat(e.errorClass()).isEqualTo(ErrorClass.START_TASK);
      assertThat(e.code()).isEqualTo("FailureExitCode");
      assertThat(e.message()).isEqualTo("exit 1");
    });
    BatchNodeInfo preempted = new BatchNodeInfo("n", BatchNodeState.PREEMPTED, false, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    assertThat(preempted.error()).hasValueSatisfying(e -> assertThat(e.errorClass()).isEqualTo(ErrorClass.PREEMPTED));
    BatchNodeInfo idle = new BatchNodeInfo("n", BatchNodeState.IDLE, true, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    assertThat(idle.error()).isEmpty();
  }

  @Test
  void retryAfter_acceptsSecondsOrAnHttpDate_andIgnoresGarbage() {
    java.time.Instant now = java.time.Instant.parse("2017-02-17T00:00:00Z");
    assertThat(BatchClient.retryAfter("7", now)).contains(java.time.Duration.ofSeconds(7));
    assertThat(BatchClient.retryAfter("Fri, 17 Feb 2017 00:00:12 GMT", now)).contains(java.time.Duration.ofSeconds(12));
    assertThat(BatchClient.retryAfter("Thu, 16 Feb 2017 00:00:00 GMT", now)).contains(java.time.Duration.ZERO);
    assertThat(BatchClient.retryAfter("soon", now)).isEmpty();
    assertThat(BatchClient.retryAfter(null, now)).isEmpty();
  }
}
