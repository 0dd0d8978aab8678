package dev.cmk.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JMH settings of the comparisons with other libraries ({@code peers.PeerOneShotBenchmark},
 * {@code peers.PeerStreamingBenchmark}, {@code peers.PeerRangeReadBenchmark} and {@code
 * formatv2.SmallMessageBenchmark}), in one place so that they run alike: state per thread,
 * throughput in operations per second, 3 warm-up iterations of 1 s, 5 measured iterations of 1 s,
 * one fork with a fixed 1 GiB heap. A benchmark extends this class and inherits them (JMH's
 * annotations are {@code @Inherited}); one that holds large messages puts its own {@code @Fork}
 * with a larger heap on its class, which overrides this one.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public abstract class PeerRun {
  /** For subclasses only. */
  protected PeerRun() {}
}
