package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoCommandTest {
  @Test
  void fields_ofScontrolShowJob_keepTheFirstValueOfEachKey_andTheTimesTheSummaryNeeds() {
    String out = """
        JobId=4 JobName=wrap
           UserId=root(0) GroupId=root(0) MCS_label=N/A
           JobState=COMPLETED Reason=None Dependency=(null)
           SubmitTime=2026-11-26T16:14:53 EligibleTime=2026-11-26T16:14:53
           StartTime=2026-11-26T16:15:06 EndTime=2026-11-26T16:15:07 Deadline=N/A
           Partition=batch AllocNode:Sid=swdemo-login-vm000:1
           NodeList=spot-[0-2]
           JobState=IGNORED
        """;
    Map<String, String> f = DemoCommand.fields(out);
    assertThat(f).containsEntry("JobState", "COMPLETED").containsEntry("Partition", "batch").containsEntry("NodeList", "spot-[0-2]")
        .containsEntry("SubmitTime", "2026-11-26T16:14:53").containsEntry("StartTime", "2026-11-26T16:15:06");
  }
}
