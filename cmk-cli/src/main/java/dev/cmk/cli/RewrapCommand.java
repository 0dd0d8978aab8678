package dev.cmk.cli;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.KeyPolicy;
import dev.cmk.core.RewrapItem;
import dev.cmk.core.RewrapSink;
import dev.cmk.core.RewrapOutcome;
import dev.cmk.core.RewrapReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
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
      "The vault or PKCS#11 token of every envelope must be KEY's or one you allow (--vault,"
          + " --pkcs11-token, $CMK_VAULTS, $CMK_PKCS11_TOKENS); an envelope naming any other"
          + " fails (exit 3) without anything being contacted, and the others proceed.",
      "Each file is rewritten through a temporary file in its directory and an atomic rename, so"
          + " an interrupted run leaves every file either old or new: run it again to resume"
          + " (files already under the current version are skipped). Files that are not"
          + " envelopes are left alone.",
      "A progress bar is drawn on stderr when it is a terminal; a summary goes to stdout."
    })
final class RewrapCommand implements Callable<Integer> {
  private static final String TEMP_SUFFIX = ".cmk-rewrap";

  @ParentCommand CmkCommand root;

  @Option(
      names = {"-k", "--key"},
      required = true,
      paramLabel = "KEY",
      converter = Policies.KeyReferenceConverter.class,
      description = "The key to move to (versionless: its latest version).")
  KeyReference key;

  @Option(
      names = "--policy",
      paramLabel = "fhir|dicom",
      converter = Policies.PolicyConverter.class,
      defaultValue = "dicom",
      description = "Key policy the target key must meet (default: ${DEFAULT-VALUE}).")
  KeyPolicy policy;

  @Option(
      names = "--progress",
      negatable = true,
      description = "Draw the progress bar (default: when stderr is a terminal).")
  Boolean progress;

  @Parameters(index = "0..*", arity = "1..*", paramLabel = "PATH", description = "Envelope files or directories.")
  List<Path> paths;

  @Mixin KeyOptions keyOptions;

  @Mixin AllowOptions allowOptions;

  /** An envelope found by the scan. */
  private record Found(Path file, String id, EnvelopeInfo info, long size) {}

  /** A file the scan could not take, and the exit code it stands for. */
  private record ScanFailure(RewrapReport.Failure failure, int exitCode) {}

  @Override
  public Integer call() throws Exception {
    keyOptions.refuseSecretsOnCommandLine();
    Context ctx = root.context();
    KeyAllowList allowed = KeyAllowList.of(allowOptions, ctx, Optional.of(key));
    List<Path> files = collect(paths);
    List<Found> envelopes = new ArrayList<>();
    List<String> notEnvelopes = new ArrayList<>();
    List<ScanFailure> scanFailures = new ArrayList<>();
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        Found found = new Found(f, f.toString(), EnvelopeInfo.read(in), Files.size(f));
        if (allowed.allows(found.info().keyReference())) {
          envelopes.add(found);
        } else {
          // Never handed to a provider: its vault or token is not contacted at all.
          scanFailures.add(new ScanFailure(
              new RewrapReport.Failure(f.toString(), allowed.refusal(found.info().keyReference())),
              ExitCode.KEY_ACCESS));
        }
      } catch (InvalidCiphertextException e) {
        notEnvelopes.add(f.toString());
      } catch (UnsupportedFormatException e) {
        scanFailures.add(new ScanFailure(
            new RewrapReport.Failure(f.toString(), describe(e)), ExitCode.INVALID_CIPHERTEXT));
      } catch (IOException e) {
        scanFailures.add(new ScanFailure(new RewrapReport.Failure(f.toString(), describe(e)), ExitCode.IO));
      }
    }
    Set<KeyReference> references = new LinkedHashSet<>();
    references.add(key);
    envelopes.forEach(e -> references.add(e.info().keyReference()));

    RewrapReport report;
    try (ProviderSession session = new ProviderSession(keyOptions, ctx, allowed)) {
      EnvelopeCryptoBuilder b = EnvelopeCrypto.builder().writeKey(key).keyPolicy(policy);
      session.open(references).forEach(b::provider);
      try (EnvelopeCrypto crypto = b.build()) {
        ProgressBar bar =
            new ProgressBar(
                ctx.err(),
                progress != null ? progress : ctx.stderrIsTerminal(),
                envelopes.size());
        long[] counts = new long[RewrapOutcome.values().length];
        List<RewrapItem> items =
            envelopes.stream().map(FileItem::new).collect(Collectors.toList());
        report =
            crypto.rewrapAll(
                items,
                (id, outcome, done) -> {
                  counts[outcome.ordinal()]++;
                  bar.update(
                      done,
                      "re-wrapped " + counts[RewrapOutcome.REWRAPPED.ordinal()]
                          + ", current " + counts[RewrapOutcome.ALREADY_CURRENT.ordinal()]
                          + ", failed " + counts[RewrapOutcome.FAILED.ordinal()]);
                });
        bar.finish();
      }
    }
    List<RewrapReport.Failure> failures = new ArrayList<>();
    scanFailures.forEach(s -> failures.add(s.failure()));
    failures.addAll(report.failures());
    printSummary(ctx.out(), report, notEnvelopes.size(), scanFailures.size(), failures.size());
    for (RewrapReport.Failure f : failures) {
      ctx.err().println("cmk: failed: " + f.id() + ": " + f.error());
    }
    long skipped = envelopes.size() - report.total();
    if (skipped > 0) {
      ctx.err().println(
          "cmk: stopped after key access was lost; " + skipped + " envelopes not attempted");
    }
    if (failures.isEmpty() && skipped == 0) {
      return ExitCode.OK;
    }
    return scanFailures.isEmpty() ? exitCodeOf(report.failures()) : scanFailures.get(0).exitCode();
  }

  private static void printSummary(
      PrintStream out, RewrapReport r, int notEnvelopes, int scanFailures, int failed) {
    out.println("Re-wrap to " + r.target());
    row(out, "envelopes", r.total() + scanFailures, "");
    StringBuilder from = new StringBuilder();
    for (Map.Entry<KeyReference, Long> e : r.movedFrom().entrySet()) {
      from.append(from.length() == 0 ? "  (from " : ", ").append(e.getKey()).append(": ").append(e.getValue());
    }
    row(out, "re-wrapped", r.rewrapped(), from.length() == 0 ? "" : from + ")");
    row(out, "already current", r.alreadyCurrent(), "");
    row(out, "failed", failed, "");
    row(out, "not envelopes", notEnvelopes, notEnvelopes == 0 ? "" : "  (left unchanged)");
    out.printf("  %-16s %.2f s%n", "elapsed", r.elapsed().toNanos() / 1e9);
  }

  private static void row(PrintStream out, String name, long value, String note) {
    out.printf("  %-16s %d%s%n", name, value, note);
  }

  private static String describe(Exception e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  /** The exit code of the first failure, from the exception class the report names. */
  private static int exitCodeOf(List<RewrapReport.Failure> failures) {
    if (failures.isEmpty()) {
      return ExitCode.KEY_ACCESS; // stopped early: key access lost
    }
    String error = failures.get(0).error();
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
              .filter(p -> !isTemporary(p))
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

  private static boolean isTemporary(Path p) {
    String n = p.getFileName().toString();
    return n.startsWith(".") && (n.endsWith(TEMP_SUFFIX + ".tmp") || n.endsWith(".cmk-out.tmp"));
  }

  /**
   * One envelope file. The sink is a temporary file next to it; closing the sink commits only if
   * the copy is complete (its body as long as the original's), by an atomic rename over the
   * original, keeping the original's POSIX permissions. An incomplete copy is deleted and the
   * original stays as it was.
   */
  private static final class FileItem implements RewrapItem {
    private final Found found;

    FileItem(Found found) {
      this.found = found;
    }

    @Override
    public String id() {
      return found.id();
    }

    @Override
    public InputStream openSource() throws IOException {
      // Not through a symbolic link swapped in since the scan (the scan skips links).
      return Files.newInputStream(found.file(), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public RewrapSink openSink() throws IOException {
      Path file = found.file();
      Path temp = Io.createTempSibling(file, TEMP_SUFFIX);
      FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE);
      OutputStream out = Channels.newOutputStream(ch);
      return new RewrapSink() {
        private boolean committed;

        @Override
        public OutputStream stream() {
          return out;
        }

        @Override
        public void commit() throws IOException {
          ch.force(true);
          ch.close();
          verifyComplete(temp);
          copyOwnershipAndPermissions(file, temp);
          Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          committed = true;
          Io.syncDirectory(file.toAbsolutePath().getParent());
        }

        @Override
        public void close() throws IOException {
          if (!committed) {
            ch.close();
            Files.deleteIfExists(temp);
          }
        }
      };
    }

    private void verifyComplete(Path temp) throws IOException {
      EnvelopeInfo rewritten;
      try (InputStream in = Files.newInputStream(temp)) {
        rewritten = EnvelopeInfo.read(in);
      } catch (InvalidCiphertextException e) {
        throw new IOException("re-wrapped copy of " + found.id() + " is incomplete; original kept", e);
      }
      long body = found.size() - found.info().headerLength();
      if (Files.size(temp) - rewritten.headerLength() != body
          || Files.size(found.file()) != found.size()) {
        throw new IOException(
            "re-wrapped copy of " + found.id() + " is incomplete, or the file changed meanwhile;"
                + " original kept");
      }
    }

    /**
     * Gives the new copy the original's owner, group and permissions, so a service that owns its
     * files can still read them after an administrator (often root) re-wrapped them. An owner or
     * group that cannot be kept (not permitted) fails the item: the original is kept rather than
     * handed to another user.
     */
    private void copyOwnershipAndPermissions(Path from, Path to) throws IOException {
      PosixFileAttributeView source =
          Files.getFileAttributeView(from, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      if (source == null) {
        return;
      }
      PosixFileAttributes original = source.readAttributes();
      PosixFileAttributeView target =
          Files.getFileAttributeView(to, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      PosixFileAttributes copy = target.readAttributes();
      try {
        if (!copy.group().equals(original.group())) {
          target.setGroup(original.group());
        }
        if (!copy.owner().equals(original.owner())) {
          target.setOwner(original.owner());
        }
      } catch (IOException | SecurityException e) {
        throw new IOException(
            "cannot give the re-wrapped copy of " + found.id() + " its owner "
                + original.owner().getName() + ":" + original.group().getName()
                + " (run as that user or as root); original kept",
            e);
      }
      target.setPermissions(original.permissions());
    }
  }
}
