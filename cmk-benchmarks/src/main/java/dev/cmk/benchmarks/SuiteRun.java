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
 * The JMH settings of the cmk-against-raw-AES-GCM suite ({@link OneShotBenchmark}, {@link
 * StreamingBenchmark}), in one place so that both run alike: state per thread, throughput in
 * operations per second, 5 warm-up iterations of 2 s, 20 measured iterations of 500 ms, one fork
 * with a fixed 1 GiB heap. A benchmark extends this class and inherits them (JMH's annotations are
 * {@code @Inherited}); options on the command line ({@code run.sh}'s {@code JMH_OPTS}) still win.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 20, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public abstract class SuiteRun {
  /** For subclasses only. */
  protected SuiteRun() {}
}
