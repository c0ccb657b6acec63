package dev.slipway.hooks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slipway.model.HostList;
import dev.slipway.model.HostlistSyntaxException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The job-to-node map slurmctld writes for ResumeProgram into the file named by
 * {@code SLURM_RESUME_FILE}. Slurm 22.05 writes
 * {@code {"all_nodes":"gpu-[0-3]","jobs":[{"job_id":12,"nodes":"gpu-[0-1]"}, ...]}}; 23.02 renamed
 * the keys to {@code all_nodes_resume} and {@code nodes_resume} and added {@code nodes_alloc},
 * {@code partition}, {@code features} and more. Both spellings are read (the new one first), other
 * keys are ignored, so a Slurm upgrade does not break the hook. The map only explains why hosts
 * were resumed; the hostlist argument stays the authority on which hosts to resume.
 */
public record ResumeFile(List<Job> jobs) {
  /** One job and the hosts resumed for it. */
  public record Job(String jobId, HostList nodes) {
    public Job {
      Objects.requireNonNull(jobId, "jobId");
      Objects.requireNonNull(nodes, "nodes");
    }
  }

  public ResumeFile {
    jobs = List.copyOf(jobs);
  }

  /**
   * Parses the file's text.
   *
   * @throws IllegalArgumentException with a one-line reason when the text is not that JSON object
   */
  public static ResumeFile parse(String json) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("expected a JSON object with \"jobs\"");
    }
    JsonNode jobsNode = root.path("jobs");
    if (jobsNode.isMissingNode() || jobsNode.isNull()) {
      return new ResumeFile(List.of());
    }
    if (!jobsNode.isArray()) {
      throw new IllegalArgumentException("\"jobs\" is not an array");
    }
    List<Job> jobs = new ArrayList<>();
    for (JsonNode job : jobsNode) {
      JsonNode id = job.path("job_id");
      if (!(id.isIntegralNumber() || id.isTextual()) || id.asText().isBlank()) {
        throw new IllegalArgumentException("a job has no job_id: " + job);
      }
      Optional<String> nodes = text(job, "nodes_resume").or(() -> text(job, "nodes")).or(() -> text(job, "nodes_alloc"));
      if (nodes.isEmpty()) {
        throw new IllegalArgumentException("job " + id.asText() + " names no nodes");
      }
      try {
        jobs.add(new Job(id.asText(), HostList.parse(nodes.get())));
      } catch (HostlistSyntaxException e) {
        throw new IllegalArgumentException("job " + id.asText() + ": " + e.getMessage());
      }
    }
    return new ResumeFile(jobs);
  }

  private static Optional<String> text(JsonNode node, String key) {
    JsonNode v = node.path(key);
    return v.isTextual() && !v.asText().isEmpty() ? Optional.of(v.asText()) : Optional.empty();
  }

  /**
   * Each host named by some job, with the ids of the jobs it was resumed for, in file order, each
   * once. One pass over the jobs' hostlists, so a resume of thousands of hosts for thousands of jobs
   * costs the sum of their sizes, not their product.
   */
  public Map<String, List<String>> jobsByHost() {
    Map<String, List<String>> byHost = new HashMap<>();
    for (Job job : jobs) {
      for (String host : job.nodes()) {
        List<String> ids = byHost.computeIfAbsent(host, h -> new ArrayList<>(1));
        if (!ids.contains(job.jobId())) {
          ids.add(job.jobId());
        }
      }
    }
    byHost.replaceAll((host, ids) -> List.copyOf(ids));
    return byHost;
  }
}
