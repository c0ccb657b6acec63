package dev.slipway.bench;

import dev.slipway.model.HostList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Hostlist costs at the largest pool size Slipway supports: expanding {@code h-[0-99999]} into
 * 100,000 names, compressing those names back (in order and shuffled), and a membership check,
 * which must not depend on the pool size. Run with {@code bench/hostlist.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HostListBenchmark {
  static final int HOSTS = 100_000;

  private HostList pool;
  private List<String> sorted;
  private List<String> shuffled;

  @Setup
  public void setUp() {
    pool = HostList.parse("h-[0-" + (HOSTS - 1) + "]");
    sorted = IntStream.range(0, HOSTS).mapToObj(i -> "h-" + i).toList();
    List<String> copy = new ArrayList<>(sorted);
    Collections.shuffle(copy, new Random(1));
    shuffled = List.copyOf(copy);
  }

  /** Parse and produce every name (the work {@code scontrol show hostnames} does). */
  @Benchmark
  public void expand100k(Blackhole bh) {
    for (String name : HostList.parse("h-[0-99999]")) {
      bh.consume(name);
    }
  }

  @Benchmark
  public HostList compress100kSorted() {
    return HostList.compress(sorted);
  }

  @Benchmark
  public HostList compress100kShuffled() {
    return HostList.compress(shuffled);
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public boolean contains100kPool() {
    return pool.contains("h-77777");
  }
}
