package dev.cmk.cli;

import com.azure.json.JsonWriter;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.RewrapReport;
import dev.cmk.core.datakey.RecordCensus;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code cmk records rewrap -k KEY}: gives every data-key record a wrapping under KEY's current
 * version, first, so readers use it — one unwrap and one wrap per record, however many envelopes
 * name it; no envelope is read or written.
 *
 * <p><b>Security:</b> the census (which reads the store only) names the key versions that wrap
 * records; each is checked against the {@link KeyAllowList} before any provider is built, and
 * only allowed ones get a provider. A record wrapped only under keys the user did not allow fails
 * (exit 3) without its vault or token being contacted.
 */
@Command(
    name = "rewrap",
    mixinStandardHelpOptions = true,
    description = {
      "Re-wraps every data-key record under the current version of KEY (records, not envelopes:"
          + " format 2 envelopes never change). The older wrappings stay until cmk records"
          + " remove-wrappings. Restartable: records already current are skipped.",
      "The vaults and PKCS#11 tokens of the records' wrappings must be KEY's or ones you allow"
          + " (--vault, --pkcs11-token, $CMK_VAULTS, $CMK_PKCS11_TOKENS); a record wrapped only"
          + " under others fails (exit 3) without anything being contacted.",
      "Records done, rate and ETA are shown on stderr when it is a terminal; a summary (--format"
          + " json: one JSON object) goes to stdout."
    })
final class RecordsRewrapCommand extends RecordsCommand.Subcommand {
  @Mixin WriteKeyOptions target;

  @Mixin AllowOptions allowOptions;

  @Mixin ProgressOptions progressOptions;

  @Override
  public Integer call() throws IOException {
    Context ctx = context();
    DataKeyStores.Opened store = store();
    KeyAllowList allowed = KeyAllowList.of(allowOptions, ctx, Optional.of(target.key));
    RecordCensus census;
    try (EnvelopeCrypto crypto = withoutKeys(store)) {
      census = crypto.dataKeyRecords().census();
    }
    Set<KeyReference> references = new LinkedHashSet<>();
    references.add(target.key);
    List<KeyReference> notAllowed = new ArrayList<>();
    for (RecordCensus.VersionUse v : census.versions()) {
      if (v.providerId().equals(RecordWrappings.NO_KEYS_ID)) {
        continue;
      }
      if (allowed.allows(v.version())) {
        references.add(v.version());
      } else {
        notAllowed.add(v.version()); // never handed to a provider
      }
    }
    RewrapReport report;
    try (ProviderSession session = new ProviderSession(keyOptions, ctx, allowed)) {
      EnvelopeCryptoBuilder b = EnvelopeCrypto.builder().writeKey(target.key)
          .keyPolicy(target.policy).dataKeyStore(store.store());
      session.open(references).forEach(b::provider);
      try (EnvelopeCrypto crypto = b.build()) {
        ItemProgress progress = new ItemProgress(ctx.err(), progressOptions.enabled(ctx),
            ctx.clock(), "records rewrap", "records", census.records());
        try {
          report = crypto.dataKeyRecords().rewrapAll((id, outcome, done) -> progress.done(done));
        } finally {
          progress.finish();
        }
      }
    }
    long notAttempted = Math.max(0, census.records() - report.total());
    if (format.json()) {
      json(ctx.out(), store, report, notAttempted, notAllowed);
    } else {
      text(ctx.out(), store, report, notAttempted);
    }
    for (KeyReference k : notAllowed) {
      ctx.err().println("cmk: not used: " + allowed.refusal(k));
    }
    int code = RecordsCommand.failed(ctx, report.failures());
    if (notAttempted > 0) {
      ctx.err().println(
          "cmk: stopped after key access was lost; " + notAttempted + " records not attempted");
    }
    if (code != ExitCode.OK) {
      return code;
    }
    return notAttempted > 0 ? ExitCode.KEY_ACCESS : ExitCode.OK;
  }

  private static void text(PrintStream out, DataKeyStores.Opened store, RewrapReport r,
      long notAttempted) {
    out.println("Re-wrap the data-key records in " + store.description() + " to " + r.target());
    RewrapCommand.row(out, "records", r.total(), "");
    RewrapCommand.row(out, "re-wrapped", r.rewrapped(), RewrapCommand.movedFrom(r));
    RewrapCommand.row(out, "already current", r.alreadyCurrent(), "");
    RewrapCommand.row(out, "failed", r.failures().size(), "");
    if (notAttempted > 0) {
      RewrapCommand.row(out, "not attempted", notAttempted, "  (key access lost)");
    }
    RewrapCommand.elapsed(out, r);
  }

  private static void json(PrintStream out, DataKeyStores.Opened store, RewrapReport r,
      long notAttempted, List<KeyReference> notAllowed) throws IOException {
    try (JsonReport j = JsonReport.start(out, "records rewrap")) {
      j.string("store", store.description())
          .string("target", r.target())
          .number("records", r.total())
          .number("rewrapped", r.rewrapped())
          .number("alreadyCurrent", r.alreadyCurrent())
          .number("failed", (long) r.failures().size())
          .number("notAttempted", notAttempted);
      j.rewrapped(r);
      JsonWriter w = j.writer();
      w.writeStartArray("notAllowed");
      for (KeyReference k : notAllowed) {
        w.writeString(k.toString());
      }
      w.writeEndArray();
      RecordsCommand.failuresJson(w, r.failures());
    }
  }
}
