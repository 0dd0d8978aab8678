package dev.cmk.cli;

import com.azure.json.JsonWriter;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.RewrapItem;
import dev.cmk.core.RewrapReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code cmk rewrap}: moves envelopes to the key's current version, file by file, resumably. */
@Command(
    name = "rewrap",
    mixinStandardHelpOptions = true,
    description = {
      "Re-wraps the data key of every envelope in PATH (files, or directory trees) under the"
          + " current version of KEY. Only the header changes; the body is copied unchanged.",
      "Format 2 envelopes name a data-key record and never change: they count as already"
          + " current; re-wrap their records with cmk records rewrap.",
      "The vault or PKCS#11 token of every envelope must be KEY's or one you allow (--vault,"
          + " --pkcs11-token, $CMK_VAULTS, $CMK_PKCS11_TOKENS); an envelope naming any other"
          + " fails (exit 3) without anything being contacted, and the others proceed.",
      "Each file is rewritten through a temporary file in its directory and an atomic rename, so"
          + " an interrupted run leaves every file either old or new: run it again to resume"
          + " (files already under the current version are skipped). Files that are not"
          + " envelopes are left alone.",
      "A run also removes the temporary files a killed earlier run left next to these files"
          + " (.NAME.cmk-rewrap.PID.N.tmp of a process that is gone, older than this run).",
      "Bytes, rate and ETA are shown on stderr when it is a terminal; a summary (--format"
          + " json: one JSON object) goes to stdout."
    })
final class RewrapCommand implements Callable<Integer> {
  @ParentCommand CmkCommand root;

  @Mixin WriteKeyOptions target;

  @Parameters(index = "0..*", arity = "1..*", paramLabel = "PATH", description = "Envelope files or directories.")
  List<Path> paths;

  @Mixin KeyOptions keyOptions;

  @Mixin AllowOptions allowOptions;

  @Mixin ProgressOptions progressOptions;

  @Mixin FormatOptions format;

  /** A file that failed, and the exit code it stands for. */
  private record Failed(RewrapReport.Failure failure, int exitCode) {}

  /** Everything the summary shows. */
  private record Summary(
      RewrapReport report,
      int envelopes,
      int format2,
      int notEnvelopes,
      long notAttempted,
      Leftovers.Removed leftovers,
      List<Failed> failures) {}

  @Override
  public Integer call() throws Exception {
    keyOptions.refuseSecretsOnCommandLine();
    Context ctx = root.context();
    Instant runStart = ctx.clock().instant();
    KeyAllowList allowed = KeyAllowList.of(allowOptions, ctx, Optional.of(target.key));
    List<Path> files = collect(paths);
    // What a killed earlier run left next to these files (and only that): see Leftovers.
    Leftovers.Removed leftovers = Leftovers.remove(files, Leftovers.REWRAP, runStart);
    List<RewrapFileItem.Found> envelopes = new ArrayList<>();
    List<String> notEnvelopes = new ArrayList<>();
    List<Failed> scanFailures = new ArrayList<>();
    int format2 = 0;
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        RewrapFileItem.Found found =
            new RewrapFileItem.Found(f, f.toString(), EnvelopeInfo.read(in), Files.size(f));
        if (found.info().dataKeyId().isPresent()) {
          // Format 2 names a data-key record and never changes: already current as a file; its
          // record is re-wrapped by cmk records rewrap.
          format2++;
          continue;
        }
        if (allowed.allows(found.info().keyReference())) {
          envelopes.add(found);
        } else {
          // Never handed to a provider: its vault or token is not contacted at all.
          scanFailures.add(new Failed(
              new RewrapReport.Failure(f.toString(), allowed.refusal(found.info().keyReference())),
              ExitCode.KEY_ACCESS));
        }
      } catch (InvalidCiphertextException e) {
        notEnvelopes.add(f.toString());
      } catch (UnsupportedFormatException e) {
        scanFailures.add(new Failed(
            new RewrapReport.Failure(f.toString(), describe(e)), ExitCode.INVALID_CIPHERTEXT));
      } catch (IOException e) {
        scanFailures.add(new Failed(new RewrapReport.Failure(f.toString(), describe(e)), ExitCode.IO));
      }
    }
    Set<KeyReference> references = new LinkedHashSet<>();
    references.add(target.key);
    envelopes.forEach(e -> references.add(e.info().keyReference()));

    RewrapReport report;
    try (ProviderSession session = new ProviderSession(keyOptions, ctx, allowed)) {
      EnvelopeCryptoBuilder b = EnvelopeCrypto.builder().writeKey(target.key).keyPolicy(target.policy);
      session.open(references).forEach(b::provider);
      try (EnvelopeCrypto crypto = b.build()) {
        long totalBytes = envelopes.stream().mapToLong(RewrapFileItem.Found::size).sum();
        ByteProgress progress = new ByteProgress(
            ctx.err(), progressOptions.enabled(ctx), ctx.clock(), "rewrap", totalBytes);
        int count = envelopes.size();
        progress.status("0/" + count + " files");
        List<RewrapItem> items = new ArrayList<>();
        envelopes.forEach(e -> items.add(new RewrapFileItem(e, progress)));
        try {
          report = crypto.rewrapAll(
              items, (id, outcome, done) -> progress.status(done + "/" + count + " files"));
        } finally {
          progress.finish();
        }
      }
    }
    List<Failed> failures = new ArrayList<>(scanFailures);
    for (RewrapReport.Failure f : report.failures()) {
      failures.add(new Failed(f, exitCodeOf(f)));
    }
    long notAttempted = envelopes.size() - report.total();
    Summary summary = new Summary(
        report, envelopes.size() + scanFailures.size() + format2, format2, notEnvelopes.size(),
        notAttempted,
        leftovers, failures);
    if (format.json()) {
      json(ctx.out(), summary);
    } else {
      text(ctx.out(), summary);
    }
    for (Failed f : failures) {
      ctx.err().println("cmk: failed: " + f.failure().id() + ": " + f.failure().error());
    }
    if (format2 > 0) {
      ctx.err().println("cmk: " + format2 + " format 2 envelope(s) name a data-key record and never"
          + " change: re-wrap the records with cmk records rewrap --data-key-store STORE -k KEY");
    }
    if (notAttempted > 0) {
      ctx.err().println(
          "cmk: stopped after key access was lost; " + notAttempted + " envelopes not attempted");
    }
    if (!failures.isEmpty()) {
      return failures.get(0).exitCode();
    }
    return notAttempted > 0 ? ExitCode.KEY_ACCESS : ExitCode.OK;
  }

  private static void text(PrintStream out, Summary s) {
    RewrapReport r = s.report();
    out.println("Re-wrap to " + r.target());
    row(out, "envelopes", s.envelopes(), "");
    row(out, "re-wrapped", r.rewrapped(), movedFrom(r));
    row(out, "already current", r.alreadyCurrent() + s.format2(), s.format2() == 0 ? ""
        : "  (" + s.format2() + " of format 2: their records are re-wrapped, see cmk records)");
    row(out, "failed", s.failures().size(), "");
    row(out, "not envelopes", s.notEnvelopes(), s.notEnvelopes() == 0 ? "" : "  (left unchanged)");
    if (s.notAttempted() > 0) {
      row(out, "not attempted", s.notAttempted(), "  (key access lost)");
    }
    row(out, "stale temp files", s.leftovers().files(), s.leftovers().files() == 0 ? ""
        : "  (" + ByteProgress.size(s.leftovers().bytes()) + " left by an interrupted run, removed)");
    elapsed(out, r);
  }

  private static void json(PrintStream out, Summary s) throws IOException {
    RewrapReport r = s.report();
    try (JsonReport j = JsonReport.start(out, "rewrap")) {
      j.string("target", r.target())
          .number("envelopes", (long) s.envelopes())
          .number("rewrapped", r.rewrapped())
          .number("alreadyCurrent", r.alreadyCurrent() + s.format2())
          .number("format2", (long) s.format2())
          .number("failed", (long) s.failures().size())
          .number("notEnvelopes", (long) s.notEnvelopes())
          .number("notAttempted", s.notAttempted())
          .number("staleTempFilesRemoved", (long) s.leftovers().files())
          .number("staleTempBytesRemoved", s.leftovers().bytes());
      j.rewrapped(r);
      JsonWriter w = j.writer();
      w.writeStartArray("failures");
      for (Failed f : s.failures()) {
        w.writeStartObject();
        w.writeStringField("file", f.failure().id());
        w.writeStringField("error", f.failure().error());
        w.writeIntField("exitCode", f.exitCode());
        w.writeEndObject();
      }
      w.writeEndArray();
    }
  }

  /** A row of a text report (shared by the {@code records} commands). */
  static void row(PrintStream out, String name, long value, String note) {
    out.printf("  %-16s %d%s%n", name, value, note);
  }

  /** The note of the "re-wrapped" row: {@code "  (from KEY: N, ...)"}, or empty when none moved. */
  static String movedFrom(RewrapReport r) {
    StringBuilder from = new StringBuilder();
    for (Map.Entry<KeyReference, Long> e : r.movedFrom().entrySet()) {
      from.append(from.length() == 0 ? "  (from " : ", ").append(e.getKey()).append(": ")
          .append(e.getValue());
    }
    return from.length() == 0 ? "" : from + ")";
  }

  /** The last row of a text report: the run's duration in seconds. */
  static void elapsed(PrintStream out, RewrapReport r) {
    out.printf("  %-16s %.2f s%n", "elapsed", r.elapsed().toNanos() / 1e9);
  }

  private static String describe(Exception e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  /** The exit code of a failure, from the exception class the report names. */
  static int exitCodeOf(RewrapReport.Failure failure) {
    String error = failure.error();
    String type = error.contains(":") ? error.substring(0, error.indexOf(':')) : error;
    switch (type) {
      case "InvalidCiphertextException":
      case "UnsupportedFormatException":
        return ExitCode.INVALID_CIPHERTEXT;
      case "KeyNotFoundException":
      case "KeyAccessDeniedException":
      case "KeyAccessSuspendedException":
        return ExitCode.KEY_ACCESS;
      case "KeyProviderUnavailableException":
        return ExitCode.PROVIDER_UNAVAILABLE;
      case "KeyPolicyViolationException":
        return ExitCode.POLICY_VIOLATION;
      default:
        return ExitCode.IO;
    }
  }

  /** Regular files under {@code roots}, sorted, without our own temporary files. */
  static List<Path> collect(List<Path> roots) throws IOException {
    Set<Path> out = new LinkedHashSet<>();
    for (Path root : roots) {
      if (Files.isRegularFile(root, LinkOption.NOFOLLOW_LINKS)) {
        out.add(root);
      } else if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
        try (Stream<Path> walk = Files.walk(root)) {
          walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
              .filter(p -> !Leftovers.isTemporary(p.getFileName().toString()))
              .sorted()
              .forEach(out::add);
        }
      } else if (!Files.exists(root)) {
        throw new java.nio.file.NoSuchFileException(root.toString());
      } else {
        throw new CliException(ExitCode.USAGE, root + " is neither a regular file nor a directory");
      }
    }
    return List.copyOf(out);
  }
}
