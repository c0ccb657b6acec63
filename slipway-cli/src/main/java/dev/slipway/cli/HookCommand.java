package dev.slipway.cli;

import dev.slipway.config.ClusterConfig;
import dev.slipway.hooks.HookKind;
import dev.slipway.hooks.HookResult;
import dev.slipway.engine.ClusterTopology;
import dev.slipway.hooks.PowerSaveHook;
import dev.slipway.hooks.ResumeFile;
import dev.slipway.model.HostList;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.StateStore;
import dev.slipway.store.sqlite.SqliteStateStore;
import dev.slipway.tls.DaemonIdentity;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.HttpsURLConnection;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code slipway hook resume|suspend|resume-fail HOSTLIST}: what slurmctld's ResumeProgram,
 * SuspendProgram and ResumeFailProgram run (through the wrappers {@code slipway hook install}
 * writes). A hook records intents in the state store and wakes the daemon; it never talks to the
 * cloud, and it works whether or not the daemon runs (the daemon also polls the store).
 *
 * <p>Exit codes: 0 recorded; 1 some hosts are in no elastic pool (the others are recorded); 2 the
 * hostlist is malformed; 3 the configuration is invalid; 4 the state store cannot be reached.
 * Every failure is one line on stderr. On success one line on stdout says what was recorded, so
 * the power log tells the story of every call.
 *
 * <p>Start-up time matters (slurmctld waits for the program and the hooks run for every resume),
 * so this path loads the configuration without printing its warnings, opens only the store, uses
 * {@link HttpURLConnection} rather than the heavier HTTP client, and logs nothing through SLF4J
 * (the wrappers also keep sqlite-jdbc's logger from starting logback; see {@link HookScripts}).
 */
@Command(
    name = "hook",
    description = "Slurm power-save hooks: record intents for the daemon (ResumeProgram, SuspendProgram, ResumeFailProgram).",
    mixinStandardHelpOptions = true,
    subcommands = {
      HookCommand.Resume.class, HookCommand.Suspend.class, HookCommand.ResumeFail.class, HookInstallCommand.class})
final class HookCommand implements Runnable {
  /** How long a wake-up may take to connect and to answer: slurmctld is waiting for us. */
  static final Duration WAKE_TIMEOUT = Duration.ofMillis(300);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "a subcommand is required: resume, suspend, resume-fail or install");
  }

  /** The wake-up URL of a daemon on this machine. */
  static String localWakeUrl(ClusterConfig config) {
    return "https://127.0.0.1:" + config.slipway().daemonPort() + "/v1/wake";
  }

  /** What the three hook commands share; each subclass only says which hook it is. */
  abstract static class PowerHook implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin ConfigOptions config;

    @Parameters(index = "0", paramLabel = "HOSTLIST", description = "The hosts, as slurmctld passes them, e.g. gpu-[0-3],cpu-7.")
    String hostlist;

    @Option(names = "--wake", paramLabel = "URL",
        description = "POST here after recording, to wake the daemon (repeatable; default https://127.0.0.1:<slipway.daemon_port>/v1/wake).")
    List<String> wakeUrls = new ArrayList<>();

    @Option(names = "--wake-pin", paramLabel = "PIN",
        description = "The daemon's TLS key pin (sha256//...) that https wake-ups check (default: the pin of <cluster home>/secrets/daemon-tls.crt).")
    String wakePin;

    @Option(names = "--no-wake", description = "Record only; do not wake any daemon.")
    boolean noWake;

    @Option(names = "--store-file", hidden = true, paramLabel = "FILE",
        description = "Use this SQLite file instead of the cluster's store (the CDS training run of 'hook install').")
    Path storeFile;

    /** The clock of intents and log lines; tests may replace it. */
    InstantSource clock = InstantSource.system();

    abstract HookKind kind();

    /** SLURM_RESUME_FILE, when Slurm set it (only for ResumeProgram). */
    Optional<Path> resumeFile() {
      return Optional.empty();
    }

    @Override
    public Integer call() {
      HostList hosts = HostList.parse(hostlist);
      ClusterConfig cfg = config.load(false).config();
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Optional<ResumeFile> jobs = readResumeFile(err);
      HookResult result;
      try (StateStore store = storeFile != null ? SqliteStateStore.open(storeFile) : Backends.openStore(cfg)) {
        result = new PowerSaveHook(ClusterTopology.fromConfig(cfg.slurm().options()), store, clock)
            .run(kind(), hosts, jobs);
      }
      List<String> urls = noWake ? List.of() : wakeUrls.isEmpty() ? List.of(localWakeUrl(cfg)) : wakeUrls;
      int woken = 0;
      Optional<String> pin = urls.stream().anyMatch(u -> u.startsWith("https://")) ? pinFor(cfg, err) : Optional.empty();
      for (String url : urls) {
        Optional<String> failure = wake(url, pin);
        if (failure.isEmpty()) {
          woken++;
        } else if (verbose()) {
          err.println("slipway: debug: could not wake " + url + ": " + failure.get());
        }
      }
      out.println(summary(result, hosts, woken, urls.size()));
      out.flush();
      result.historyFailure().ifPresent(f -> err.println("slipway: " + kind().commandName()
          + ": intents recorded, but their history events were not: " + f));
      result.rejectionMessage().ifPresent(m -> err.println("slipway: " + m));
      err.flush();
      return result.hasRejected() ? ExitCodes.FAILURE : ExitCodes.OK;
    }

    private Optional<ResumeFile> readResumeFile(PrintWriter err) {
      Optional<Path> file = resumeFile();
      if (file.isEmpty()) {
        return Optional.empty();
      }
      // The job map only explains the resume; a file we cannot read must not cost the intents.
      try {
        return Optional.of(ResumeFile.parse(Files.readString(file.get(), StandardCharsets.UTF_8)));
      } catch (IOException | RuntimeException e) {
        err.println("slipway: " + kind().commandName() + ": ignoring SLURM_RESUME_FILE " + file.get() + ": "
            + (e instanceof IOException ? "cannot read it (" + e + ")" : e.getMessage()));
        return Optional.empty();
      }
    }

    /** {@code --wake-pin}, else the pin of the cluster's certificate when this user can read it. */
    private Optional<String> pinFor(ClusterConfig cfg, PrintWriter err) {
      if (wakePin != null) {
        return Optional.of(wakePin);
      }
      try {
        return Optional.of(DaemonIdentity.readPin(ClusterHome.of(cfg).secrets()));
      } catch (IllegalStateException e) {
        if (verbose()) {
          err.println("slipway: debug: " + e.getMessage());
        }
        return Optional.empty();
      }
    }

    private boolean verbose() {
      return spec.root().userObject() instanceof Main main && main.verbose;
    }

    private String summary(HookResult result, HostList hosts, int woken, int urls) {
      List<HostIntent> recorded = result.recorded();
      StringBuilder line = new StringBuilder();
      line.append(clock.instant()).append(' ').append(kind().commandName()).append(' ').append(hosts.expression()).append(": ");
      line.append(kind().describeRecorded(recorded));
      if (result.hasRejected()) {
        line.append(", rejected ").append(result.rejected().size());
      }
      line.append("; woke ").append(woken).append(" of ").append(urls).append(urls == 1 ? " daemon" : " daemons");
      return line.toString();
    }
  }

  /**
   * POSTs an empty body to {@code url}; empty on a 2xx answer, else why not. Best effort with a
   * short timeout: the intent is already durable and the daemon polls the store anyway. An https
   * URL is trusted only when the server's key has {@code pin}: no CA, no host name (the daemon's
   * certificate is self-signed and names none).
   */
  static Optional<String> wake(String url, Optional<String> pin) {
    HttpURLConnection c = null;
    try {
      c = (HttpURLConnection) URI.create(url).toURL().openConnection(Proxy.NO_PROXY);
      if (c instanceof HttpsURLConnection https) {
        if (pin.isEmpty()) {
          return Optional.of("no pin for the daemon's TLS key (give --wake-pin)");
        }
        https.setSSLSocketFactory(DaemonIdentity.pinnedClientContext(pin.get()).getSocketFactory());
        // The pinned trust manager has checked the key, which is all the certificate can vouch for.
        https.setHostnameVerifier((host, session) -> true);
      }
      c.setConnectTimeout((int) WAKE_TIMEOUT.toMillis());
      c.setReadTimeout((int) WAKE_TIMEOUT.toMillis());
      c.setRequestMethod("POST");
      c.setDoOutput(true);
      c.setFixedLengthStreamingMode(0);
      c.getOutputStream().close();
      int status = c.getResponseCode();
      return status / 100 == 2 ? Optional.empty() : Optional.of("HTTP " + status);
    } catch (IOException | RuntimeException e) {
      return Optional.of(e.toString());
    } finally {
      if (c != null) {
        c.disconnect();
      }
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = "ResumeProgram: record intent UP for the hosts, with the jobs of SLURM_RESUME_FILE.")
  static final class Resume extends PowerHook {
    @Option(names = "--resume-file", paramLabel = "FILE", defaultValue = "${env:SLURM_RESUME_FILE}",
        description = "Slurm's job-to-node map (default: env SLURM_RESUME_FILE, which slurmctld sets).")
    Path resumeFilePath;

    @Override
    HookKind kind() {
      return HookKind.RESUME;
    }

    @Override
    Optional<Path> resumeFile() {
      return Optional.ofNullable(resumeFilePath).filter(p -> !p.toString().isBlank());
    }
  }

  @Command(name = "suspend", mixinStandardHelpOptions = true, description = "SuspendProgram: record intent DOWN for the hosts.")
  static final class Suspend extends PowerHook {
    @Override
    HookKind kind() {
      return HookKind.SUSPEND;
    }
  }

  @Command(name = "resume-fail", mixinStandardHelpOptions = true,
      description = "ResumeFailProgram: record that the hosts did not come up (intent DOWN, source RESUME_FAIL).")
  static final class ResumeFail extends PowerHook {
    @Override
    HookKind kind() {
      return HookKind.RESUME_FAIL;
    }
  }
}
