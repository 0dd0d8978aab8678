package dev.cmk.cli;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.core.KeyPolicy;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cmk status}: the loss-of-access guard's view of a configured key. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Configures KEY as a service would (policy check, access confirmation) and prints the"
          + " key-access guard's status: state, cause, current version, grace time left.",
      "Exit code 0 when the key is available, 3 when access is denied or the key is gone,"
          + " 4 when the provider is unreachable, 5 when the key breaks the policy."
    })
final class StatusCommand extends SingleKeyCommand {
  @Option(
      names = "--policy",
      paramLabel = "fhir|dicom",
      converter = Policies.PolicyConverter.class,
      defaultValue = "dicom",
      description = "Key policy (default: ${DEFAULT-VALUE}).")
  KeyPolicy policy;

  @Override
  int call(Context ctx, ProviderSession session) throws java.io.IOException {
    EnvelopeCryptoBuilder b = EnvelopeCrypto.builder().writeKey(key).keyPolicy(policy);
    session.open(List.of(key)).forEach(b::provider);
    try (EnvelopeCrypto crypto = b.build()) {
      crypto.keyAccess().probeIfDue();
      KeyAccessStatus s = crypto.keyAccess().status();
      if (format.json()) {
        json(ctx.out(), s);
      } else {
        text(ctx.out(), s);
      }
      if (s.state() == KeyAccessState.AVAILABLE) {
        return ExitCode.OK;
      }
      return s.cause().isAuthoritative() ? ExitCode.KEY_ACCESS : ExitCode.PROVIDER_UNAVAILABLE;
    }
  }

  private void text(PrintStream out, KeyAccessStatus s) {
    field(out, "key", String.valueOf(s.configuredKey()));
    field(out, "policy", policy.name());
    field(out, "state", s.state() + " since " + s.since());
    field(out, "cause", s.cause().toString());
    field(out, "current version", s.currentVersion() == null ? "(not confirmed)" : s.currentVersion().toString());
    field(out, "last confirmed", s.lastConfirmed() == null ? "(never)" : s.lastConfirmed().toString());
    field(out, "grace remaining", human(s.graceRemaining()));
    field(out, "last error", s.lastError() == null ? "(none)" : s.lastError());
  }

  private void json(PrintStream out, KeyAccessStatus s) throws java.io.IOException {
    try (JsonReport j = JsonReport.start(out, "status")) {
      j.string("key", s.configuredKey())
          .string("policy", policy.name())
          .string("state", s.state())
          .string("since", JsonReport.time(s.since()))
          .string("cause", s.cause())
          .bool("causeAuthoritative", s.cause().isAuthoritative())
          .string("currentVersion", s.currentVersion())
          .string("lastConfirmed", JsonReport.time(s.lastConfirmed()))
          .number("graceRemainingSeconds", JsonReport.seconds(s.graceRemaining()))
          .string("lastError", s.lastError());
    }
  }

  private static void field(PrintStream out, String name, String value) {
    out.printf("%-16s %s%n", name, value);
  }

  private static String human(Duration d) {
    long s = d.getSeconds();
    return s >= 60 ? (s / 60) + " min " + (s % 60) + " s" : s + " s";
  }
}
