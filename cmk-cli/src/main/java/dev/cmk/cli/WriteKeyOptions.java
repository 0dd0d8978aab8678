package dev.cmk.cli;

import dev.cmk.api.KeyReference;
import dev.cmk.core.KeyPolicy;
import picocli.CommandLine.Option;

/**
 * The key new envelopes (or re-wrapped ones) are written under, and the key policy it must meet:
 * {@code -k/--key} and {@code --policy} of {@code encrypt} and {@code rewrap}.
 */
final class WriteKeyOptions {
  @Option(
      names = {"-k", "--key"},
      required = true,
      paramLabel = "KEY",
      converter = Policies.KeyReferenceConverter.class,
      description = "The key to write under (versionless: its latest version): local:NAME[/VERSION],"
          + " pkcs11:token=T;object=NAME[;id=V] or https://VAULT.vault.azure.net/keys/NAME[/VERSION].")
  KeyReference key;

  @Option(
      names = "--policy",
      paramLabel = "fhir|dicom",
      converter = Policies.PolicyConverter.class,
      defaultValue = "dicom",
      description = "Key policy the key must meet (default: ${DEFAULT-VALUE}).")
  KeyPolicy policy;
}
