package dev.slipway.hooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResumeFileTest {
  @Test
  void parse_slurm2205Format_mapsHostsToTheirJobs() {
    // As slurmctld 22.05 wrote it on this machine (feasibility study, resume.sh log).
    ResumeFile f = ResumeFile.parse("{\"jobs\":[{\"job_id\":1,\"nodes\":\"node-[1-2]\"}],\"all_nodes\":\"node-[1-2]\"}");
    assertThat(f.jobsByHost().getOrDefault("node-1", List.of())).containsExactly("1");
    assertThat(f.jobsByHost().getOrDefault("node-2", List.of())).containsExactly("1");
    assertThat(f.jobsByHost().getOrDefault("node-3", List.of())).isEmpty();
  }

  @Test
  void parse_slurm2302Format_usesNodesResumeAndIgnoresOtherKeys() {
    ResumeFile f = ResumeFile.parse("""
        {"all_nodes_resume": "gpu-[1-3,7]",
         "jobs": [
           {"extra": null, "features": "c1", "job_id": 140814, "nodes_alloc": "gpu-[0-3]",
            "nodes_resume": "gpu-[1-3]", "oversubscribe": "OK", "partition": "gpu", "reservation": null},
           {"job_id": 140815, "nodes_alloc": "gpu-[7-8]", "nodes_resume": "gpu-7", "partition": "gpu"}
         ]}
        """);
    assertThat(f.jobsByHost().getOrDefault("gpu-0", List.of())).as("allocated but already up: not resumed for this job").isEmpty();
    assertThat(f.jobsByHost().getOrDefault("gpu-2", List.of())).containsExactly("140814");
    assertThat(f.jobsByHost().getOrDefault("gpu-7", List.of())).containsExactly("140815");
    assertThat(f.jobsByHost().getOrDefault("gpu-8", List.of())).isEmpty();
  }

  @Test
  void jobsByHost_hostOfSeveralJobs_listsEachOnceInFileOrder() {
    ResumeFile f = ResumeFile.parse("{\"jobs\":[{\"job_id\":9,\"nodes\":\"n-[0-1]\"},{\"job_id\":\"3\",\"nodes\":\"n-1\"},"
        + "{\"job_id\":9,\"nodes\":\"n-1\"}]}");
    assertThat(f.jobsByHost().getOrDefault("n-1", List.of())).containsExactly("9", "3");
    assertThat(f.jobsByHost().getOrDefault("n-0", List.of())).containsExactly("9");
  }

  @Test
  void parse_withoutJobs_hasNoJobs() {
    assertThat(ResumeFile.parse("{\"all_nodes\":\"n-1\"}").jobs()).isEmpty();
    assertThat(ResumeFile.parse("{\"all_nodes\":\"n-1\",\"jobs\":null}").jobs()).isEmpty();
  }

  @Test
  void parse_malformedInput_failsWithOneLineReason() {
    assertThatThrownBy(() -> ResumeFile.parse("{\"jobs\":[")).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not JSON");
    assertThatThrownBy(() -> ResumeFile.parse("[]")).hasMessageContaining("expected a JSON object");
    assertThatThrownBy(() -> ResumeFile.parse("{\"jobs\":{}}")).hasMessage("\"jobs\" is not an array");
    assertThatThrownBy(() -> ResumeFile.parse("{\"jobs\":[{\"nodes\":\"n-1\"}]}")).hasMessageStartingWith("a job has no job_id");
    assertThatThrownBy(() -> ResumeFile.parse("{\"jobs\":[{\"job_id\":4}]}")).hasMessage("job 4 names no nodes");
    assertThatThrownBy(() -> ResumeFile.parse("{\"jobs\":[{\"job_id\":4,\"nodes\":\"n-[1-\"}]}"))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("job 4: malformed hostlist");
  }

  @Test
  void jobsByHost_manyHostsAndJobs_mapsEveryHostOfEveryJob() {
    StringBuilder json = new StringBuilder("{\"jobs\":[");
    for (int j = 0; j < 2000; j++) {
      json.append(j == 0 ? "" : ",").append("{\"job_id\":").append(j).append(",\"nodes\":\"n-[").append(j * 5).append('-')
          .append(j * 5 + 4).append("]\"}");
    }
    var byHost = ResumeFile.parse(json.append("]}").toString()).jobsByHost();
    assertThat(byHost).hasSize(10_000);
    assertThat(byHost.get("n-9999")).containsExactly("1999");
    assertThat(byHost.get("n-0")).containsExactly("0");
  }
}
