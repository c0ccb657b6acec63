package dev.slipway.hooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ResumeFileTest {
  @Test
  void parse_slurm2205Format_mapsHostsToTheirJobs() {
    // As slurmctld 22.05 wrote it on this machine (feasibility study, resume.sh log).
    ResumeFile f = ResumeFile.parse("{\"jobs\":[{\"job_id\":1,\"nodes\":\"node-[1-2]\"}],\"all_nodes\":\"node-[1-2]\"}");
    assertThat(f.jobIdsOf("node-1")).containsExactly("1");
    assertThat(f.jobIdsOf("node-2")).containsExactly("1");
    assertThat(f.jobIdsOf("node-3")).isEmpty();
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
    assertThat(f.jobIdsOf("gpu-0")).as("allocated but already up: not resumed for this job").isEmpty();
    assertThat(f.jobIdsOf("gpu-2")).containsExactly("140814");
    assertThat(f.jobIdsOf("gpu-7")).containsExactly("140815");
    assertThat(f.jobIdsOf("gpu-8")).isEmpty();
  }

  @Test
  void jobIdsOf_hostOfSeveralJobs_listsEachOnceInFileOrder() {
    ResumeFile f = ResumeFile.parse("{\"jobs\":[{\"job_id\":9,\"nodes\":\"n-[0-1]\"},{\"job_id\":\"3\",\"nodes\":\"n-1\"},"
        + "{\"job_id\":9,\"nodes\":\"n-1\"}]}");
    assertThat(f.jobIdsOf("n-1")).containsExactly("9", "3");
    assertThat(f.jobIdsOf("n-0")).containsExactly("9");
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
}
