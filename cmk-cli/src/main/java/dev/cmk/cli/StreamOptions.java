package dev.cmk.cli;

import java.io.IOException;
import java.io.InputStream;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The stream options of {@code encrypt} and {@code decrypt}: {@code INPUT}, {@code -o/--output},
 * {@code -f/--force} (where {@code -} means stdin or stdout) and {@code --[no-]progress} for the
 * bytes read from the input. A command that mixes these in words the descriptions of {@code
 * INPUT} and {@code -o} for what it reads and writes, under the keys {@code input} and {@code
 * output} of its {@code resourceBundle} ({@code dev/cmk/cli/help/}); the texts below are the
 * fallback for a command without one.
 */
final class StreamOptions {
  @Parameters(
      index = "0",
      paramLabel = "INPUT",
      defaultValue = Io.STDIO,
      descriptionKey = "input",
      description = "A file, or - for stdin (default).")
  String input;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "OUTPUT",
      defaultValue = Io.STDIO,
      descriptionKey = "output",
      description = "Where the output goes: a file, or - for stdout (default).")
  String output;

  @Option(names = {"-f", "--force"}, description = "Replace the output file if it exists.")
  boolean force;

  @Mixin ProgressOptions progressOptions;

  /**
   * Refuses binary output to a terminal, before anything is read or any key is touched.
   *
   * @param what what would be written, e.g. {@code the envelope}
   * @throws CliException (usage) when the output is stdout and stdout is a terminal
   */
  void refuseBinaryToTerminal(Context ctx, String what) {
    Io.refuseBinaryToTerminal(output, ctx, what);
  }

  /** Opens the input; stdin is not closed by closing the returned stream. */
  InputStream openInput(Context ctx) throws IOException {
    return Io.openInput(input, ctx);
  }

  /**
   * Byte progress of reading the input (its size as the total when known), drawn on stderr as
   * {@code --[no-]progress} says; wrap the input with {@link ByteProgress#counting}.
   *
   * @param label what is running, e.g. {@code encrypt}
   */
  ByteProgress progress(Context ctx, String label) {
    return new ByteProgress(
        ctx.err(), progressOptions.enabled(ctx), ctx.clock(), label, Io.sizeOf(input));
  }

  /** Opens the output: stdout, or a file written atomically that only {@code commit()} keeps. */
  Io.Output openOutput(Context ctx) throws IOException {
    return Io.Output.open(output, force, ctx);
  }
}
