package dev.cmk.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import org.jspecify.annotations.Nullable;

/**
 * The associated data bound to an envelope: the same bytes must be given to decrypt. Not secret
 * and not stored in the envelope.
 */
final class AadOptions {
  /** Largest associated data file read. */
  static final long MAX_AAD_FILE = 1 << 20;

  @Option(
      names = "--aad",
      paramLabel = "TEXT",
      description = "Associated data, as UTF-8 text (e.g. Patient/123/1).")
  @Nullable String text;

  @Option(
      names = "--aad-file",
      paramLabel = "FILE",
      description = "Associated data, the raw bytes of a file (at most 1 MiB).")
  @Nullable Path file;

  /** The associated data bytes; empty when neither option is given. */
  byte[] bytes() throws IOException {
    if (text != null && file != null) {
      throw new CliException(ExitCode.USAGE, "give either --aad or --aad-file, not both");
    }
    if (text != null) {
      return text.getBytes(StandardCharsets.UTF_8);
    }
    if (file != null) {
      if (Files.size(file) > MAX_AAD_FILE) {
        throw new CliException(ExitCode.USAGE, "--aad-file " + file + " is larger than 1 MiB");
      }
      return Files.readAllBytes(file);
    }
    return new byte[0];
  }
}
