package dev.slipway.simulate;

import java.util.ArrayList;
import java.util.List;

/** Records every hook call, in order, as text such as {@code resume gpu-0,gpu-1 jobs 1}. */
final class RecordingHooks implements PowerSaveHooks {
  final List<String> calls = new ArrayList<>();
  final List<List<String>> resumed = new ArrayList<>();
  final List<List<String>> suspended = new ArrayList<>();
  final List<List<String>> failed = new ArrayList<>();

  @Override
  public void resume(List<String> hosts, List<String> jobIds) {
    resumed.add(hosts);
    calls.add("resume " + String.join(",", hosts) + " jobs " + String.join(",", jobIds));
  }

  @Override
  public void suspend(List<String> hosts) {
    suspended.add(hosts);
    calls.add("suspend " + String.join(",", hosts));
  }

  @Override
  public void resumeFail(List<String> hosts) {
    failed.add(hosts);
    calls.add("resume-fail " + String.join(",", hosts));
  }
}
