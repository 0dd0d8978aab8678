package dev.cmk.cli;

import dev.cmk.api.KeyReference;
import dev.cmk.core.KeyPolicy;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Command-line names of the key-policy presets, and the key-reference converter. */
final class Policies {
  private Policies() {}

  /** {@code fhir} or {@code dicom}. */
  static final class PolicyConverter implements ITypeConverter<KeyPolicy> {
    @Override
    public KeyPolicy convert(String value) {
      switch (value.toLowerCase(Locale.ROOT)) {
        case "fhir":
          return KeyPolicy.fhirService();
        case "dicom":
          return KeyPolicy.dicomService();
        default:
          throw new TypeConversionException("policy must be fhir or dicom");
      }
    }
  }

  /** A key reference; a bare {@code name[/version]} means a local keystore key. */
  static final class KeyReferenceConverter implements ITypeConverter<KeyReference> {
    @Override
    public KeyReference convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("invalid key reference: " + e.getMessage());
      }
    }
  }

  static KeyReference parse(String value) {
    String lower = value.toLowerCase(Locale.ROOT);
    if (lower.startsWith("https:") || lower.startsWith("pkcs11:") || lower.startsWith("local:")) {
      return KeyReference.parse(value);
    }
    return KeyReference.parse("local:" + value);
  }
}
