package dev.slipway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class HostlistCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void expand_expressions_printsOneNamePerLineInSlurmOrder() {
    int code = run("hostlist", "expand", "gpu-[0-2]", "rack[1-2]-n[01-02],login1");
    assertThat(code).isEqualTo(ExitCodes.OK);
    assertThat(out.toString().lines()).containsExactly(
        "gpu-0", "gpu-1", "gpu-2", "rack1-n01", "rack1-n02", "rack2-n01", "rack2-n02", "login1");
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void expand_largePool_printsEveryName() {
    assertThat(run("hostlist", "expand", "h-[0-99999]")).isZero();
    assertThat(out.toString().lines().count()).isEqualTo(100_000);
    assertThat(out.toString()).startsWith("h-0\nh-1\n").endsWith("h-99999\n");
  }

  @Test
  void expand_malformedExpression_exitsWithUsageAndOneLineMessageAndNoOutput() {
    int code = run("hostlist", "expand", "n[1-2]", "n[5-1]");
    assertThat(code).isEqualTo(ExitCodes.USAGE);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString().lines()).containsExactly(
        "slipway: malformed hostlist \"n[5-1]\" at column 3: range 5-1 is reversed");
  }

  @Test
  void compress_separateNames_printsOneExpression() {
    assertThat(run("hostlist", "compress", "n1", "n2", "n3", "login", "n08", "n09", "n10")).isZero();
    assertThat(out.toString()).isEqualTo("n[1-3],login,n[08-10]\n");
  }

  @Test
  void compress_commaListsAndExpressions_areExpandedFirst() {
    assertThat(run("hostlist", "compress", "n3,n1", "n2", "n[4-5],m1")).isZero();
    assertThat(out.toString()).isEqualTo("n[3,1-2,4-5],m1\n");
  }

  @Test
  void compress_keepsOrderAndDuplicatesLikeScontrol() {
    assertThat(run("hostlist", "compress", "b1,a1,b2,n1,n2,n2")).isZero();
    assertThat(out.toString()).isEqualTo("b1,a1,b2,n[1-2,2]\n");
  }

  @Test
  void compress_emptyNameInCommaList_exitsWithUsage() {
    assertThat(run("hostlist", "compress", "n1,,n2")).isEqualTo(ExitCodes.USAGE);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString()).startsWith("slipway: malformed hostlist \"n1,,n2\" at column 4:");
    assertThat(err.toString().lines()).hasSize(1);
  }

  @Test
  void hostlist_withoutSubcommand_isAUsageError() {
    assertThat(run("hostlist")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("a subcommand is required");
  }

  @Test
  void expand_withoutArguments_isAUsageError() {
    assertThat(run("hostlist", "expand")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("EXPR");
  }
}
