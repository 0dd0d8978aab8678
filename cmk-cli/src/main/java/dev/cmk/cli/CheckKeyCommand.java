package dev.cmk.cli;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.KeyPolicy;
import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cmk check-key}: a key against a key-policy preset, requirement by requirement. */
@Command(
    name = "check-key",
    mixinStandardHelpOptions = true,
    description = {
      "Checks KEY (versionless: its latest version) against a key-policy preset and prints every"
          + " requirement with ✓ or ✗ and the value found.",
      "Exit code 0 when the key complies, 5 when it does not."
    })
final class CheckKeyCommand extends SingleKeyCommand {
  @Option(
      names = "--policy",
      required = true,
      paramLabel = "fhir|dicom",
      converter = Policies.PolicyConverter.class,
      description = "The preset: fhir (Azure Health Data Services FHIR service) or dicom.")
  KeyPolicy policy;

  @Override
  int call(Context ctx, ProviderSession session) throws java.io.IOException {
    KeyEncryptionKeyProvider provider = session.providerFor(key);
    KeyDescription d = provider.describe(key);
    Instant now = Instant.now();
    List<PolicyReport.Line> lines = PolicyReport.lines(policy, d, now);
    long failed = lines.stream().filter(l -> !l.met()).count();
    if (format.json()) {
      try (JsonReport j = JsonReport.start(ctx.out(), "check-key")) {
        j.string("key", d.reference())
            .string("provider", provider.id())
            .string("policy", policy.name())
            .bool("compliant", failed == 0)
            .number("requirementsTotal", (long) lines.size())
            .number("requirementsFailed", failed);
        com.azure.json.JsonWriter w = j.writer();
        w.writeStartArray("requirements");
        for (PolicyReport.Line l : lines) {
          w.writeStartObject();
          w.writeStringField("rule", l.rule());
          w.writeBooleanField("met", l.met());
          w.writeStringField("found", l.found());
          w.writeEndObject();
        }
        w.writeEndArray();
      }
    } else {
      text(ctx, provider, d, lines, failed);
    }
    return failed == 0 ? ExitCode.OK : ExitCode.POLICY_VIOLATION;
  }

  private void text(
      Context ctx,
      KeyEncryptionKeyProvider provider,
      KeyDescription d,
      List<PolicyReport.Line> lines,
      long failed) {
    PrintStream out = ctx.out();
    out.println("Key " + d.reference() + " (provider " + provider.id() + ")");
    out.println("Policy " + policy.name());
    int width = lines.stream().mapToInt(l -> l.rule().length()).max().orElse(0);
    String ok = ctx.unicode() ? "✓" : "[ok]  ";
    String bad = ctx.unicode() ? "✗" : "[FAIL]";
    for (PolicyReport.Line l : lines) {
      out.printf("  %s %-" + width + "s  %s%n", l.met() ? ok : bad, l.rule(), l.found());
    }
    if (failed == 0) {
      out.println("The key meets all " + lines.size() + " requirements of " + policy.name() + ".");
    } else {
      out.println(
          "The key does not comply: " + failed + " of " + lines.size() + " requirements of "
              + policy.name() + " not met.");
    }
  }
}
