package dev.slipway.hooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HookResultTest {
  @Test
  void rejectionMessage_namesTheHostsCompressedAndTheKnownPools() {
    HookResult r = new HookResult(HookKind.SUSPEND, List.of(), List.of("login1", "foo-1", "foo-2", "foo-3"),
        "cpu (cpu-[0-7])", Optional.empty());
    assertThat(r.rejectionMessage()).contains(
        "suspend: 4 hosts are in no elastic pool and were not recorded: login1,foo-[1-3]; known pools: cpu (cpu-[0-7])");
  }

  @Test
  void rejectionMessage_oneHost_isSingular_andNoneWithoutRejections() {
    HookResult one = new HookResult(HookKind.RESUME, List.of(), List.of("x"), "none", Optional.empty());
    assertThat(one.rejectionMessage()).contains("resume: 1 host is in no elastic pool and was not recorded: x; known pools: none");
    HookResult ok = new HookResult(HookKind.RESUME, List.of(), List.of(), "none", Optional.empty());
    assertThat(ok.rejectionMessage()).isEmpty();
    assertThat(ok.hasRejected()).isFalse();
  }

  @Test
  void hookKinds_mapToIntentsSourcesAndCommandNames() {
    assertThat(HookKind.fromCommandName("resume-fail")).contains(HookKind.RESUME_FAIL);
    assertThat(HookKind.RESUME_FAIL.intent()).isEqualTo(dev.slipway.spi.Intent.DOWN);
    assertThat(HookKind.RESUME_FAIL.source()).isEqualTo(dev.slipway.spi.IntentSource.RESUME_FAIL);
    assertThat(HookKind.RESUME.intent()).isEqualTo(dev.slipway.spi.Intent.UP);
    assertThat(HookKind.SUSPEND.eventKind()).isEqualTo("slurm-suspend");
    assertThat(HookKind.fromCommandName("reboot")).isEmpty();
  }
}
