package dev.cmk.cli;

import picocli.CommandLine.Option;
import org.jspecify.annotations.Nullable;

/** {@code --[no-]progress}: byte progress on stderr, by default only when stderr is a terminal. */
final class ProgressOptions {
  @Option(
      names = "--progress",
      negatable = true,
      description = "Show bytes, rate and ETA on stderr (default: when stderr is a terminal).")
  @Nullable Boolean progress;

  /** Whether to draw in {@code ctx}. */
  boolean enabled(Context ctx) {
    return progress != null ? progress : ctx.stderrIsTerminal();
  }
}
