package dev.slipway.local.netns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.model.ErrorClass;
import dev.slipway.spi.FaultInjection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultRequestsTest {
  @TempDir Path dir;

  /** Records what it was asked; preempt answers with made-up node ids. */
  private static final class Recording implements FaultInjection {
    final List<String> calls = new ArrayList<>();

    @Override
    public void limitAllocation(String poolId, ErrorClass errorClass, int allocatable) {
      if (poolId.equals("nope")) {
        throw new IllegalArgumentException("no netns pool 'nope'");
      }
      calls.add("limit " + poolId + " " + errorClass + " " + allocatable);
    }

    @Override
    public void clearAllocationLimit(String poolId) {
      calls.add("clear " + poolId);
    }

    @Override
    public List<String> preempt(String poolId, int count) {
      calls.add("preempt " + poolId + " " + count);
      return List.of(poolId + "-7");
    }
  }

  @Test
  void applyPending_appliesEachRequestOnce_inNameOrder_andMovesItToAppliedWithItsResult() throws Exception {
    Path faults = dir.resolve("faults");
    Files.createDirectories(faults);
    Files.writeString(faults.resolve("01-limit"), "limit cpu capacity 0\n");
    Files.writeString(faults.resolve("02-preempt"), "preempt spot 1");
    Files.writeString(faults.resolve("03-clear"), "clear cpu");
    Recording target = new Recording();

    List<String> results = new FaultRequests(faults).applyPending(target);

    assertThat(target.calls).containsExactly("limit cpu CAPACITY 0", "preempt spot 1", "clear cpu");
    assertThat(results).hasSize(3).allMatch(r -> r.startsWith("ok "));
    assertThat(Files.readString(faults.resolve("applied").resolve("02-preempt"))).isEqualTo("preempt spot 1\nok preempted spot-7\n");
    assertThat(faults.resolve("01-limit")).doesNotExist();
    assertThat(new FaultRequests(faults).applyPending(target)).isEmpty();
    assertThat(target.calls).hasSize(3);
  }

  @Test
  void applyPending_skipsFilesStillBeingWritten_andReportsBadRequestsWithoutStopping() throws Exception {
    Path faults = dir.resolve("faults");
    Files.createDirectories(faults);
    Files.writeString(faults.resolve("a.tmp"), "limit cpu CAPACITY 0");
    Files.writeString(faults.resolve("b"), "explode cpu");
    Files.writeString(faults.resolve("c"), "limit nope QUOTA 1");
    Files.writeString(faults.resolve("d"), "limit cpu QUOTA");
    Files.writeString(faults.resolve("e"), "limit cpu QUOTA 2");
    Recording target = new Recording();

    List<String> results = new FaultRequests(faults).applyPending(target);

    assertThat(results).hasSize(4);
    assertThat(results.get(0)).startsWith("error unknown request 'explode'");
    assertThat(results.get(1)).isEqualTo("error no netns pool 'nope'");
    assertThat(results.get(2)).startsWith("error expected 'limit POOL CAPACITY|QUOTA N'");
    assertThat(results.get(3)).startsWith("ok ");
    assertThat(target.calls).containsExactly("limit cpu QUOTA 2");
    assertThat(faults.resolve("a.tmp")).exists();
  }

  @Test
  void applyPending_withoutTheDirectory_doesNothing() {
    assertThat(new FaultRequests(dir.resolve("absent")).applyPending(new Recording())).isEmpty();
  }
}
