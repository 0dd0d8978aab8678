package dev.cmk.cli;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code cmk inspect}: what an envelope's header says, without any key. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the header of the envelope INPUT (a file, or - for stdin): format version, suite,"
          + " key provider, key reference and version, wrap algorithm, sizes and overhead.",
      "Unwraps nothing and needs no credentials; nothing shown is authenticated until the"
          + " envelope is decrypted."
    })
final class InspectCommand implements Callable<Integer> {
  @ParentCommand CmkCommand root;

  @Parameters(index = "0", paramLabel = "INPUT", defaultValue = "-", description = "An envelope file, or - for stdin (default).")
  String input;

  @Mixin FormatOptions format;

  @Override
  public Integer call() throws Exception {
    Context ctx = root.context();
    EnvelopeInfo info;
    long total;
    try (InputStream in = Io.openInput(input, ctx)) {
      info = EnvelopeInfo.read(in);
      if (Io.STDIO.equals(input)) {
        total = info.headerLength() + in.transferTo(java.io.OutputStream.nullOutputStream());
      } else {
        total = Files.size(Path.of(input));
      }
    }
    OptionalLong plaintext = plaintextLength(total, info.headerLength(), info.segmentSize());
    Long p = plaintext.isPresent() ? plaintext.getAsLong() : null;
    Long segments = p == null ? null : (p == 0 ? 1 : (p + info.segmentSize() - 1) / info.segmentSize());
    if (format.json()) {
      json(ctx.out(), info, total, p, segments);
    } else {
      text(ctx.out(), info, total, p, segments);
    }
    if (p == null) {
      throw new CliException(
          ExitCode.INVALID_CIPHERTEXT,
          "invalid ciphertext: the envelope's length does not match its segment layout");
    }
    return ExitCode.OK;
  }

  private static void text(PrintStream out, EnvelopeInfo info, long total, Long p, Long segments) {
    field(out, "format version", String.valueOf(info.formatVersion()));
    field(out, "suite", info.suite());
    if (info.key().isPresent()) {
      field(out, "key provider", info.providerId());
      field(out, "key", info.keyReference().versionless().toString());
      field(out, "key version", info.keyReference().version().orElse("(none)"));
      field(out, "key reference", info.keyReference().toString());
      field(out, "wrap algorithm", info.wrapAlgorithm().jwaName());
      field(out, "wrapped key", info.wrappedKeyLength() + " bytes");
    } else {
      // Format 2 names a data-key record; its wrappings live in the data-key store.
      field(out, "data-key record", info.dataKeyId().orElseThrow().hex());
    }
    field(out, "header", info.headerLength() + " bytes");
    field(out, "segment size", info.segmentSize() + " bytes");
    field(out, "envelope", total + " bytes");
    if (p == null) {
      field(out, "plaintext", "(length does not match the segment layout: truncated or extended)");
      out.flush();
      return;
    }
    field(out, "plaintext", p + " bytes");
    field(out, "segments", String.valueOf(segments));
    field(out, "overhead", (total - p) + " bytes");
  }

  private static void json(PrintStream out, EnvelopeInfo info, long total, Long p, Long segments)
      throws java.io.IOException {
    try (JsonReport j = JsonReport.start(out, "inspect")) {
      j.number("formatVersion", (long) info.formatVersion())
          .string("suite", info.suite());
      if (info.key().isPresent()) {
        j.string("keyProvider", info.providerId())
            .string("key", info.keyReference().versionless())
            .string("keyVersion", info.keyReference().version().orElse(null))
            .string("keyReference", info.keyReference())
            .string("wrapAlgorithm", info.wrapAlgorithm().jwaName())
            .number("wrappedKeyBytes", (long) info.wrappedKeyLength());
      } else {
        j.string("dataKeyId", info.dataKeyId().orElseThrow().hex());
      }
      j.number("headerBytes", (long) info.headerLength())
          .number("segmentSizeBytes", (long) info.segmentSize())
          .number("envelopeBytes", total)
          .bool("layoutValid", p != null)
          .number("plaintextBytes", p)
          .number("segments", segments)
          .number("overheadBytes", p == null ? null : total - p);
    }
  }

  private static void field(PrintStream out, String name, String value) {
    out.printf("%-15s %s%n", name, value);
  }

  /** The plaintext length whose envelope has {@code total} bytes, or empty when none has. */
  static OptionalLong plaintextLength(long total, int headerLength, int segmentSize) {
    try {
      return OptionalLong.of(EnvelopeInfo.plaintextLength(total, headerLength, segmentSize));
    } catch (dev.cmk.api.InvalidCiphertextException impossibleLength) {
      return OptionalLong.empty();
    }
  }
}
