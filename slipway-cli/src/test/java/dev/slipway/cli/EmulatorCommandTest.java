package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.azure.batch.BatchClient;
import dev.slipway.azure.batch.BatchClientOptions;
import dev.slipway.azure.batch.BatchPoolSpec;
import dev.slipway.azure.batch.BatchSharedKeyCredential;
import dev.slipway.model.Secret;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class EmulatorCommandTest {
  /** A writer that opens a latch once the banner's last line has been printed. */
  static final class BannerWriter extends Writer {
    final StringWriter text = new StringWriter();
    final CountDownLatch ready = new CountDownLatch(1);

    @Override
    public synchronized void write(char[] cbuf, int off, int len) {
      text.write(cbuf, off, len);
      if (text.toString().contains("Press Ctrl-C")) ready.countDown();
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}

    synchronized String value(String label) {
      Matcher m = Pattern.compile(label + ":\\s+(\\S+)").matcher(text.toString());
      return m.find() ? m.group(1) : null;
    }
  }

  @Test
  void emulatorBatch_printsUrlAccountAndKey_andServesSignedRequestsUntilInterrupted() throws Exception {
    BannerWriter out = new BannerWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    AtomicInteger exit = new AtomicInteger(-1);
    Thread runner = new Thread(() -> exit.set(cl.execute("emulator", "batch", "--account", "testacct", "--boot-seconds", "0")));
    runner.start();
    try {
      assertThat(out.ready.await(60, TimeUnit.SECONDS)).as("banner printed").isTrue();
      URI url = URI.create(out.value("url"));
      assertThat(url.getHost()).isEqualTo("127.0.0.1");
      assertThat(out.value("account")).isEqualTo("testacct");
      BatchClient client = BatchClient.withSharedKey(url, new BatchSharedKeyCredential("testacct", Secret.of(out.value("key"))),
          BatchClientOptions.defaults());
      client.addPool(new BatchPoolSpec("p", "standard_d2s_v5", Optional.of("Canonical"), Optional.of("ubuntu-24_04-lts"),
          Optional.of("server"), Optional.empty(), Optional.empty(), "batch.node.ubuntu 24.04", 1, 0, Duration.ofMinutes(15), 1,
          false, Optional.empty(), Optional.empty(), Map.of()));
      assertThat(client.getPool("p").targetDedicatedNodes()).isEqualTo(1);
    } finally {
      runner.interrupt();
      runner.join(TimeUnit.SECONDS.toMillis(30));
    }
    assertThat(runner.isAlive()).isFalse();
    assertThat(exit.get()).isEqualTo(ExitCodes.OK);
  }

  @Test
  void emulatorBatch_withAnInvalidAccountName_isAUsageError() {
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));

    int code = cl.execute("emulator", "batch", "--account", "Not_Valid");

    assertThat(code).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--account");
  }
}
