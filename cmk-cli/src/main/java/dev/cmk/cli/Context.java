package dev.cmk.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What a command runs against: standard streams, the environment, whether stdout and stderr are
 * terminals, the clock, and where key providers come from. Tests pass in-memory streams, a map as
 * the environment, pinned terminal flags, a manual clock and substitute provider factories.
 *
 * @param in standard input (binary)
 * @param out standard output: reports, and binary envelopes or plaintext with {@code -o -}
 * @param err standard error: one-line errors, progress
 * @param env environment variables
 * @param stdoutIsTerminal whether stdout is a terminal (binary output to it is refused)
 * @param stderrIsTerminal whether to draw progress on stderr
 * @param unicode whether stdout's encoding can show ✓ and ✗
 * @param clock time for progress rates and for telling an interrupted run's leftovers
 * @param factories where the key provider factories come from
 */
record Context(
    InputStream in,
    PrintStream out,
    PrintStream err,
    Function<String, String> env,
    boolean stdoutIsTerminal,
    boolean stderrIsTerminal,
    boolean unicode,
    Clock clock,
    ProviderFactories factories) {

  /** Validates. */
  Context {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(err, "err");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(factories, "factories");
  }

  /**
   * A context with discovered providers and the system clock, stdout not a terminal, as in
   * production behind a pipe.
   */
  Context(
      InputStream in,
      PrintStream out,
      PrintStream err,
      Function<String, String> env,
      boolean stderrIsTerminal,
      boolean unicode) {
    this(in, out, err, env, false, stderrIsTerminal, unicode, Clock.systemUTC(),
        ProviderFactories.SERVICE_LOADER);
  }

  /** An environment variable, or null when unset or empty. */
  @Nullable String getenv(String name) {
    String v = env.apply(name);
    return v == null || v.isEmpty() ? null : v;
  }
}
