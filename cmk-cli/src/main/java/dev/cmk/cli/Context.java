package dev.cmk.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Objects;
import java.util.function.Function;

/**
 * What a command runs against: standard streams, the environment, and whether stderr is a terminal
 * (for the progress bar). Tests pass in-memory streams and a map as the environment.
 *
 * @param in standard input (binary)
 * @param out standard output: text reports, and binary envelopes or plaintext with {@code -o -}
 * @param err standard error: one-line errors, progress
 * @param env environment variables
 * @param stderrIsTerminal whether to draw a progress bar on stderr
 * @param unicode whether stdout's encoding can show ✓ and ✗
 * @param azureSetup how the Azure provider gets its credential (tests: and a loopback transport)
 */
record Context(
    InputStream in,
    PrintStream out,
    PrintStream err,
    Function<String, String> env,
    boolean stderrIsTerminal,
    boolean unicode,
    AzureSetup azureSetup) {

  /** Validates. */
  Context {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(err, "err");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(azureSetup, "azureSetup");
  }

  /** A context whose Azure credential comes from the options, as in production. */
  Context(
      InputStream in,
      PrintStream out,
      PrintStream err,
      Function<String, String> env,
      boolean stderrIsTerminal,
      boolean unicode) {
    this(in, out, err, env, stderrIsTerminal, unicode, AzureSetup.FROM_OPTIONS);
  }

  /** An environment variable, or null when unset or empty. */
  String getenv(String name) {
    String v = env.apply(name);
    return v == null || v.isEmpty() ? null : v;
  }
}
