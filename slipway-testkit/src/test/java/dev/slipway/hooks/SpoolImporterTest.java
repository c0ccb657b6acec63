package dev.slipway.hooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.engine.ClusterTopology;
import dev.slipway.spi.HostEvent;
import dev.slipway.spi.HostIntent;
import dev.slipway.spi.Intent;
import dev.slipway.spi.IntentSource;
import dev.slipway.spi.StateStore;
import dev.slipway.spi.StoreUnavailableException;
import dev.slipway.testkit.FakeClock;
import dev.slipway.testkit.InMemoryStateStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolImporterTest {
  @TempDir Path dir;
  private final FakeClock clock = new FakeClock(Instant.parse("2026-11-26T12:00:00Z"));
  private final ObservedStore observed = new ObservedStore();
  private final InMemoryStateStore memory = observed.memory();
  /** Every StateStore method called on {@link #store}, in order. */
  private final List<String> calls = observed.calls();
  private final StateStore store = observed.store();
  private final ClusterTopology pools = ObservedStore.cpuAndGpuPools();
  private final PowerSaveHook hook = new PowerSaveHook(pools, store, clock);

  private Path spool() {
    return dir.resolve("spool");
  }

  private Path log() {
    return dir.resolve("power.log");
  }

  private SpoolImporter importer(SpoolImporter.Deleter deleter) {
    return new SpoolImporter(spool(), hook, store, clock, Optional.of(log()), deleter);
  }

  private SpoolImporter importer() {
    return importer(Files::delete);
  }

  /** Spools a call as the wrapper does; {@code offset} is how long after the clock's instant the wrapper ran. */
  private String spool(HookKind kind, String hosts, Duration offset, Optional<String> resumeFile) throws IOException {
    Instant time = clock.instant().plus(offset).plusNanos(123_456);
    String name = SpoolEntry.nameFor(time, 4242);
    SpoolEntry entry = new SpoolEntry(name, kind, time, hosts, Optional.of(log()), resumeFile, Optional.empty());
    Files.createDirectories(spool());
    Files.write(spool().resolve(name), entry.render());
    return name;
  }

  private String logText() throws IOException {
    return Files.exists(log()) ? Files.readString(log()) : "";
  }

  @Test
  void importAll_recordsEveryFileOldestFirst_soTheLatestCallWins_andDeletesThem() throws IOException {
    // Written in the reverse of their names' order: the name (the wrapper's time), not the write, decides.
    String suspend = spool(HookKind.SUSPEND, "cpu-[0-1]", Duration.ofSeconds(2), Optional.empty());
    String resume = spool(HookKind.RESUME, "cpu-[0-3]", Duration.ofSeconds(1), Optional.empty());

    SpoolImporter.Report r = importer().importAll();

    assertThat(r.imported()).containsExactly(resume, suspend);
    assertThat(r.recorded()).isEqualTo(6);
    assertThat(memory.intents().get("cpu-0").intent()).isEqualTo(Intent.DOWN);
    assertThat(memory.intents().get("cpu-0").seq()).isEqualTo(5);
    assertThat(memory.intents().get("cpu-3").intent()).isEqualTo(Intent.UP);
    assertThat(memory.intents().get("cpu-3").at()).as("the wrapper's time, to the millisecond")
        .isEqualTo(clock.instant().plusSeconds(1));
    assertThat(SpoolImporter.pending(spool())).isEmpty();
    assertThat(logText()).contains("resume cpu-[0-3]: spooled " + resume + ": recorded 4 intents UP (seq 1-4)",
        "suspend cpu-[0-1]: spooled " + suspend + ": recorded 2 intents DOWN (seq 5-6)");
  }

  @Test
  void importAll_withDirectoriesInTheSpool_movesThemAside_andStillImportsTheFiles() throws IOException {
    String resume = spool(HookKind.RESUME, "cpu-[0-1]", Duration.ofSeconds(1), Optional.empty());
    // Something else's directory (slurmd's spool once lived here), and one named like a spool file.
    Files.createDirectories(spool().resolve("slurmd"));
    String lookalike = SpoolEntry.nameFor(clock.instant(), 7);
    Files.createDirectories(spool().resolve(lookalike));

    SpoolImporter.Report r = importer().importAll();

    assertThat(r.imported()).containsExactly(resume);
    assertThat(r.rejectedFiles()).containsExactlyInAnyOrder("slurmd", lookalike);
    assertThat(memory.intents()).containsOnlyKeys("cpu-0", "cpu-1");
    assertThat(SpoolImporter.pending(spool())).isEmpty();
  }

  @Test
  void importAll_attachesTheSpooledResumeFilesJobs_andNamesTheFileInTheHistory() throws IOException {
    String name = spool(HookKind.RESUME, "cpu-[0-1],gpu-0", Duration.ZERO,
        Optional.of("{\"all_nodes\":\"cpu-[0-1]\",\"jobs\":[{\"job_id\":7,\"nodes\":\"cpu-[0-1]\"}]}"));

    importer().importAll();

    assertThat(memory.intents().get("cpu-1").jobIds()).containsExactly("7");
    assertThat(memory.intents().get("gpu-0").jobIds()).isEmpty();
    assertThat(memory.hostEvents("cpu-1", 10)).singleElement().extracting(HostEvent::message).asString()
        .isEqualTo("Slurm ResumeProgram asked for cpu-1: intent UP (seq 2) for job 7 (spooled " + name + ")");
  }

  @Test
  void importAll_withHostsOfNoPool_recordsTheOthers_andSaysWhichInThePowerLog() throws IOException {
    spool(HookKind.RESUME_FAIL, "gpu-1,login[1-2]", Duration.ZERO, Optional.empty());

    SpoolImporter.Report r = importer().importAll();

    assertThat(memory.intents()).containsOnlyKeys("gpu-1");
    assertThat(memory.intents().get("gpu-1").source()).isEqualTo(IntentSource.RESUME_FAIL);
    assertThat(r.imported()).hasSize(1);
    assertThat(logText()).contains("resume-fail: 2 hosts are in no elastic pool and were not recorded: login[1-2]; "
        + "known pools: cpu (cpu-[0-7]), gpu (gpu-[0-1])");
  }

  @Test
  void importAll_movesMalformedFilesToRejected_andStillImportsTheOthers() throws IOException {
    String before = spool(HookKind.RESUME, "cpu-0", Duration.ZERO, Optional.empty());
    String garbage = SpoolEntry.nameFor(clock.instant().plusSeconds(1), 1);
    Files.writeString(spool().resolve(garbage), "slipway-spool 1\nkind resume\ntime 12\n"); // no hosts line
    String badHostlist = spool(HookKind.SUSPEND, "cpu-[0-", Duration.ofSeconds(2), Optional.empty());
    Files.writeString(spool().resolve("notes.txt"), "someone's file");
    String after = spool(HookKind.SUSPEND, "cpu-1", Duration.ofSeconds(3), Optional.empty());

    SpoolImporter.Report r = importer().importAll();

    assertThat(r.imported()).containsExactly(before, after);
    assertThat(r.rejectedFiles()).containsExactlyInAnyOrder(garbage, badHostlist, "notes.txt");
    assertThat(spool().resolve("rejected").resolve(garbage)).exists();
    assertThat(spool().resolve("rejected").resolve(badHostlist)).exists();
    assertThat(SpoolImporter.pending(spool())).isEmpty();
    assertThat(memory.intents()).containsOnlyKeys("cpu-0", "cpu-1");
    assertThat(logText()).contains("spool: " + garbage + " is not a valid spool file (no 'hosts' line); moved to ",
        "spool: " + badHostlist + " is not a valid spool file (malformed hostlist");
  }

  @Test
  void importAll_whenItCrashesBetweenCommitAndDelete_importsTheFileAgainWithoutRecordingTwice() throws IOException {
    String name = spool(HookKind.RESUME, "cpu-[0-2]", Duration.ZERO, Optional.of("{\"jobs\":[{\"job_id\":9,\"nodes\":\"cpu-0\"}]}"));
    SpoolImporter crashing = importer(file -> {
      throw new IOException("killed before the delete");
    });
    assertThatThrownBy(crashing::importAll).hasMessageContaining("killed before the delete");
    assertThat(SpoolImporter.pending(spool())).containsExactly(name);
    List<HostIntent> committed = List.copyOf(memory.intents().values());

    SpoolImporter.Report again = importer().importAll();

    assertThat(again.imported()).containsExactly(name);
    assertThat(again.recorded()).isZero();
    assertThat(again.skipped()).isEqualTo(3);
    assertThat(memory.intents().values()).containsExactlyInAnyOrderElementsOf(committed);
    assertThat(memory.hostEvents("cpu-0", 10)).hasSize(1);
    assertThat(SpoolImporter.pending(spool())).isEmpty();
    assertThat(logText()).contains("recorded nothing, 3 already recorded by an earlier import");
  }

  @Test
  void importAll_reimport_appendsTheHistoryEventsTheFirstImportCouldNotWrite() throws IOException {
    String name = spool(HookKind.SUSPEND, "cpu-[0-1]", Duration.ZERO, Optional.empty());
    observed.failOn("appendEvents", new IllegalStateException("disk full"));
    assertThatThrownBy(importer(file -> {
      throw new IOException("killed before the delete");
    })::importAll).hasMessageContaining("cannot delete it: killed before the delete");
    assertThat(memory.hostEvents("cpu-0", 10)).isEmpty();
    observed.recover();

    importer().importAll();
    importer().importAll(); // nothing left: no further events

    assertThat(memory.hostEvents("cpu-0", 10)).singleElement().extracting(HostEvent::message).asString().endsWith("(spooled " + name + ")");
    assertThat(memory.hostEvents("cpu-1", 10)).hasSize(1);
    assertThat(logText()).contains("intents recorded, but their history events were not: disk full");
  }

  @Test
  void importAll_sameIntentForTheSameHostTwiceInOneMillisecond_isRecordedOnceWithBothEvents() throws IOException {
    Files.createDirectories(spool());
    Instant t = clock.instant();
    for (int pid : new int[] {1, 2}) {
      SpoolEntry e = new SpoolEntry(SpoolEntry.nameFor(t.plusNanos(pid * 1000L), pid), HookKind.SUSPEND, t.plusNanos(pid * 1000L), "cpu-4",
          Optional.empty(), Optional.empty(), Optional.empty());
      Files.write(spool().resolve(e.name()), e.render());
    }
    importer().importAll();
    assertThat(memory.intents().get("cpu-4").seq()).isEqualTo(1);
    assertThat(memory.hostEvents("cpu-4", 10)).hasSize(2);
  }

  @Test
  void importAll_spooledCallOlderThanTheHostsIntent_isSkipped_becauseSlurmDecidedSinceThen() throws IOException {
    spool(HookKind.RESUME, "cpu-[0-1]", Duration.ZERO, Optional.empty());
    clock.advance(Duration.ofSeconds(5));
    hook.run(HookKind.SUSPEND, dev.slipway.model.HostList.parse("cpu-0"), Optional.empty()); // a later direct call

    SpoolImporter.Report r = importer().importAll();

    assertThat(memory.intents().get("cpu-0").intent()).isEqualTo(Intent.DOWN);
    assertThat(memory.intents().get("cpu-1").intent()).isEqualTo(Intent.UP);
    assertThat(r.skipped()).isEqualTo(1);
    assertThat(logText()).contains("recorded 1 intent UP (seq 2), 1 superseded by a newer intent: cpu-0");
  }

  @Test
  void importAll_whenTheStoreIsUnavailable_keepsTheFileForTheNextImport() throws IOException {
    String name = spool(HookKind.RESUME, "cpu-0", Duration.ZERO, Optional.empty());
    observed.failOn("recordIntents", new StoreUnavailableException("state store is read-only", null));

    assertThatThrownBy(importer()::importAll).isInstanceOf(StoreUnavailableException.class);
    assertThat(SpoolImporter.pending(spool())).containsExactly(name);

    observed.recover();
    assertThat(importer().importAll().recorded()).isEqualTo(1);
  }

  @Test
  void importAll_aMalformedResumeFile_isALogLine_andTheIntentsAreRecordedWithoutJobs() throws IOException {
    spool(HookKind.RESUME, "cpu-0", Duration.ZERO, Optional.of("{not json"));
    importer().importAll();
    assertThat(memory.intents().get("cpu-0").jobIds()).isEmpty();
    assertThat(logText()).contains("ignoring the spooled SLURM_RESUME_FILE: not JSON");
  }

  @Test
  void importAll_removesTemporariesOfKilledWrappers_onlyOnceTheyAreOld() throws IOException {
    Files.createDirectories(spool());
    Path old = Files.writeString(spool().resolve(".0001-1.tmp"), "slipway-spool 1\n");
    Files.setLastModifiedTime(old, FileTime.from(clock.instant().minus(Duration.ofHours(2))));
    Path fresh = Files.writeString(spool().resolve(".0002-2.tmp"), "slipway-spool 1\n");
    Files.setLastModifiedTime(fresh, FileTime.from(clock.instant()));

    SpoolImporter.Report r = importer().importAll();

    assertThat(old).doesNotExist();
    assertThat(fresh).exists();
    assertThat(r.lines()).singleElement().asString().contains("removed .0001-1.tmp");
  }

  @Test
  void importAll_withoutASpoolDirectory_doesNothingAndTouchesNoStore() {
    assertThat(importer().importAll().isEmpty()).isTrue();
    assertThat(calls).isEmpty();
    assertThat(spool()).doesNotExist();
  }

  @Test
  void importAll_takesTheLockOnlyWhenThereIsWork_andAConcurrentImportWaitsItsTurn() throws Exception {
    spool(HookKind.RESUME, "cpu-[0-7]", Duration.ZERO, Optional.empty());
    AtomicInteger deletes = new AtomicInteger();
    SpoolImporter a = importer(file -> {
      deletes.incrementAndGet();
      Files.delete(file);
    });
    Thread other = new Thread(a::importAll);
    other.start();
    SpoolImporter.Report mine = a.importAll();
    other.join();
    assertThat(deletes).hasValue(1);
    assertThat(memory.intents().values()).extracting(HostIntent::seq).containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
    assertThat(mine.recorded()).isIn(0, 8);
  }

  @Test
  void spoolEntry_rendersAndParsesBack_andATornResumeFileIsMalformed() {
    Instant t = Instant.parse("2026-11-26T12:00:00.123456789Z");
    SpoolEntry e = new SpoolEntry(SpoolEntry.nameFor(t, 77), HookKind.RESUME_FAIL, t, "gpu-[0-1]", Optional.of(Path.of("/l/power.log")),
        Optional.of("{\"jobs\":[]}\n"), Optional.empty());
    assertThat(e.name()).isEqualTo("1795694400123456789-0000000077");
    assertThat(SpoolEntry.parse(e.name(), e.render())).isEqualTo(e);
    byte[] bytes = e.render();
    byte[] torn = java.util.Arrays.copyOf(bytes, bytes.length - 3);
    assertThatThrownBy(() -> SpoolEntry.parse(e.name(), torn)).hasMessageContaining("resume-file should have 12 bytes");
    assertThatThrownBy(() -> SpoolEntry.parse("x", "hello\n".getBytes(StandardCharsets.UTF_8))).hasMessageContaining("does not start with");
    assertThat(t.truncatedTo(ChronoUnit.MILLIS)).isEqualTo(Instant.parse("2026-11-26T12:00:00.123Z"));
  }
}
