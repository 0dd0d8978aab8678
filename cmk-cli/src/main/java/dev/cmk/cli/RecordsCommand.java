package dev.cmk.cli;

import com.azure.json.JsonWriter;
import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyRecords;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.RewrapReport;
import dev.cmk.core.datakey.RecordCensus;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code cmk records}: format 2's data-key records, the unit of rotation for format 2 (the
 * envelopes never change): census of the key versions that wrap them, re-wrap under the current
 * key version ({@link RecordsRewrapCommand}), removal of an old key's wrappings.
 */
@Command(
    name = "records",
    mixinStandardHelpOptions = true,
    description = {
      "Format 2's data-key records in a data-key store (--data-key-store): which key versions wrap"
          + " them (census), re-wrap under the current key version (rewrap), removal of an old"
          + " version's or key's wrappings (remove-wrappings). Format 2 envelopes name their"
          + " record and never change: rotation re-wraps records, not envelopes."
    },
    subcommands = {
      RecordsCommand.Census.class,
      RecordsRewrapCommand.class,
      RecordsCommand.RemoveWrappings.class
    })
final class RecordsCommand implements Runnable {
  @ParentCommand CmkCommand root;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a records command is required");
  }

  /** What every records subcommand has: its parent, the store and the report format. */
  abstract static class Subcommand implements Callable<Integer> {
    @ParentCommand RecordsCommand records;

    @Mixin DataKeyStoreOptions storeOptions;

    @Mixin KeyOptions keyOptions;

    @Mixin FormatOptions format;

    Context context() {
      return records.root.context();
    }

    /** The store, required; a jdbc: table must exist (these commands never create one). */
    DataKeyStores.Opened store() {
      keyOptions.refuseSecretsOnCommandLine();
      return DataKeyStores.require(storeOptions, context(), keyOptions.managedIdentity, false);
    }

    /**
     * Record maintenance that uses no key: the engine over a provider serving nothing, so nothing
     * but the store is contacted.
     */
    static EnvelopeCrypto withoutKeys(DataKeyStores.Opened store) {
      return EnvelopeCrypto.builder().provider(RecordWrappings.noKeys())
          .dataKeyStore(store.store()).build();
    }
  }

  /** {@code cmk records census}. */
  @Command(
      name = "census",
      mixinStandardHelpOptions = true,
      description = {
        "Counts, per key version, the records it wraps, the records it alone wraps (unreadable"
            + " once that version is disabled) and those where it is preferred (the wrapping"
            + " readers use). An old version may be disabled once it wraps no record alone.",
        "Reads every record once; uses no key."
      })
  static final class Census extends Subcommand {
    @Override
    public Integer call() throws IOException {
      DataKeyStores.Opened store = store();
      RecordCensus census;
      try (EnvelopeCrypto crypto = withoutKeys(store)) {
        census = crypto.dataKeyRecords().census();
      }
      PrintStream out = context().out();
      if (format.json()) {
        try (JsonReport j = JsonReport.start(out, "records census")) {
          j.string("store", store.description()).number("records", census.records());
          JsonWriter w = j.writer();
          w.writeStartArray("versions");
          for (RecordCensus.VersionUse v : census.versions()) {
            w.writeStartObject();
            w.writeStringField("key", v.version().toString());
            w.writeStringField("providerId", v.providerId());
            w.writeLongField("records", v.records());
            w.writeLongField("onlyWrapping", v.onlyWrapping());
            w.writeLongField("preferred", v.preferred());
            w.writeEndObject();
          }
          w.writeEndArray();
        }
        return ExitCode.OK;
      }
      out.println("Data-key records in " + store.description() + ": " + census.records());
      if (census.versions().isEmpty()) {
        return ExitCode.OK;
      }
      int width = "KEY VERSION".length();
      for (RecordCensus.VersionUse v : census.versions()) {
        width = Math.max(width, v.version().toString().length());
      }
      String row = "  %-" + width + "s  %-14s %9s %9s %9s%n";
      out.printf(row, "KEY VERSION", "PROVIDER", "RECORDS", "ALONE", "PREFERRED");
      for (RecordCensus.VersionUse v : census.versions()) {
        out.printf(row, v.version(), v.providerId(), v.records(), v.onlyWrapping(),
            v.preferred());
      }
      return ExitCode.OK;
    }
  }

  /** {@code cmk records remove-wrappings --key KEY}. */
  @Command(
      name = "remove-wrappings",
      mixinStandardHelpOptions = true,
      description = {
        "Removes the wrappings under KEY from every record that keeps another wrapping: that"
            + " version (after a rotation and cmk records rewrap, before disabling it), or every"
            + " version of a versionless KEY (the last step of a move to another vault or HSM).",
        "A record wrapped under KEY alone is left as it is and reported (exit 2: run cmk records"
            + " rewrap first). Uses no key; run it once every reader has the new key."
      })
  static final class RemoveWrappings extends Subcommand {
    @Option(
        names = {"-k", "--key"},
        required = true,
        paramLabel = "KEY",
        converter = Policies.KeyReferenceConverter.class,
        description = "The key version, or the versionless key, whose wrappings go.")
    KeyReference key;

    @Mixin ProgressOptions progressOptions;

    @Override
    public Integer call() throws IOException {
      Context ctx = context();
      DataKeyStores.Opened store = store();
      RewrapReport report;
      try (EnvelopeCrypto crypto = withoutKeys(store)) {
        DataKeyRecords records = crypto.dataKeyRecords();
        boolean show = progressOptions.enabled(ctx);
        ItemProgress progress = new ItemProgress(ctx.err(), show, ctx.clock(),
            "records remove-wrappings", "records", show ? records.census().records() : 0);
        try {
          report = records.removeWrappings(key, (id, outcome, done) -> progress.done(done));
        } finally {
          progress.finish();
        }
      }
      List<RewrapReport.Failure> failures = report.failures();
      if (format.json()) {
        try (JsonReport j = JsonReport.start(ctx.out(), "records remove-wrappings")) {
          j.string("store", store.description())
              .string("key", key)
              .number("records", report.total())
              .number("changed", report.rewrapped())
              .number("unchanged", report.alreadyCurrent())
              .number("failed", (long) failures.size())
              .elapsed(report);
          failuresJson(j.writer(), failures);
        }
      } else {
        PrintStream out = ctx.out();
        out.println("Remove the wrappings under " + key + " from " + store.description());
        RewrapCommand.row(out, "records", report.total(), "");
        RewrapCommand.row(out, "changed", report.rewrapped(), "  (wrapping removed)");
        RewrapCommand.row(out, "unchanged", report.alreadyCurrent(), "  (no wrapping under it)");
        RewrapCommand.row(out, "failed", failures.size(), "");
        RewrapCommand.elapsed(out, report);
      }
      return failed(ctx, failures);
    }
  }

  /** {@code "failures": [{"record", "error", "exitCode"}]}. */
  static void failuresJson(JsonWriter w, List<RewrapReport.Failure> failures) throws IOException {
    w.writeStartArray("failures");
    for (RewrapReport.Failure f : failures) {
      w.writeStartObject();
      w.writeStringField("record", f.id());
      w.writeStringField("error", f.error());
      w.writeIntField("exitCode", exitCodeOf(f));
      w.writeEndObject();
    }
    w.writeEndArray();
  }

  /** Prints each failure on stderr and returns the exit code of the first (0 when none). */
  static int failed(Context ctx, List<RewrapReport.Failure> failures) {
    for (RewrapReport.Failure f : failures) {
      ctx.err().println("cmk: failed: record " + f.id() + ": " + f.error());
    }
    return failures.isEmpty() ? ExitCode.OK : exitCodeOf(failures.get(0));
  }

  /**
   * The exit code of a record's failure: as {@code cmk rewrap}'s, and 2 for a record that a
   * removal would leave without wrapping (re-wrap it first).
   */
  static int exitCodeOf(RewrapReport.Failure failure) {
    return failure.error().startsWith("IllegalStateException")
        ? ExitCode.USAGE : RewrapCommand.exitCodeOf(failure);
  }
}
