package dev.cmk.api;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A validated reference to a key-encryption key, optionally pinned to one version.
 *
 * <p>Accepted forms (see {@link #parse(String)}):
 *
 * <ul>
 *   <li>Azure Key Vault: {@code https://{vault}.vault.azure.net/keys/{name}[/{version}]}, and the
 *       sovereign clouds {@code .vault.azure.cn}, {@code .vault.usgovcloudapi.net}, {@code
 *       .vault.microsoftazure.de}. An explicit port is allowed (for loopback tests).
 *   <li>Azure Managed HSM: {@code https://{hsm}.managedhsm.azure.net/keys/{name}[/{version}]} (and
 *       {@code .managedhsm.azure.cn}, {@code .managedhsm.usgovcloudapi.net}).
 *   <li>PKCS#11 (RFC 7512): {@code pkcs11:token=cmk;object=patient-data[;id=v2]}. The {@code
 *       object} attribute (the key's {@code CKA_LABEL}) is the key name, {@code token} the token
 *       label, {@code id} (the key's {@code CKA_ID}) the version. A {@code pin-value} is refused:
 *       PINs never travel in references, which end up in envelopes and logs.
 *   <li>Local / in-memory keys: {@code local:{name}[/{version}]}.
 * </ul>
 *
 * <p>Rules: Key Vault and Managed HSM names are 3&ndash;24 characters of letters, digits and
 * hyphens, starting with a letter, ending with a letter or digit, no consecutive hyphens; key names
 * are 1&ndash;127 characters of {@code [0-9a-zA-Z-]}; Azure versions are 32 hexadecimal digits;
 * local versions are 1&ndash;64 characters of {@code [0-9a-zA-Z._-]}. PKCS#11 keys are named as
 * HSM administrators' tools name them: the {@code object} label is any 1&ndash;127 characters
 * without control characters (percent-encoded in the canonical form), and the {@code id} is any
 * 1&ndash;64 bytes ({@code id=%01%02}), whose {@linkplain #version() version} text is RFC 7512's
 * canonical encoding of those bytes: {@code [0-9a-zA-Z._-]} as themselves, every other byte as
 * {@code %XX} (upper-case hexadecimal), so {@code id=v2}, {@code id=%76%32} and {@code v2} name
 * the same {@code CKA_ID}. Parsing fails with an {@link IllegalArgumentException} naming the rule
 * broken.
 *
 * <p>Instances are immutable, thread-safe, and compare by their canonical string form. References
 * are not secret.
 */
public final class KeyReference {

  /** Which kind of key store a reference points into. */
  public enum Kind {
    /** Azure Key Vault (standard or premium). */
    AZURE_KEY_VAULT,
    /** Azure Key Vault Managed HSM. */
    AZURE_MANAGED_HSM,
    /** A PKCS#11 token. */
    PKCS11,
    /** A key held by a local provider (in-memory, keystore file). */
    LOCAL
  }

  /** Longest accepted reference string. */
  public static final int MAX_LENGTH = 1024;

  private final Kind kind;
  private final String authority; // vault/hsm host[:port], token label, or "" for local
  private final String name;
  private final @Nullable String version;
  private final Map<String, String> pkcs11Attributes; // decoded, sorted; empty for others
  private final String canonical;

  /** Made by the parsers of each scheme ({@link AzureKeyIds}, {@link Pkcs11Uris}), validated. */
  KeyReference(
      Kind kind,
      String authority,
      String name,
      @Nullable String version,
      Map<String, String> pkcs11Attributes) {
    this.kind = kind;
    this.authority = authority;
    this.name = name;
    this.version = version;
    this.pkcs11Attributes = pkcs11Attributes;
    this.canonical = render();
    KeyReferenceRules.checkCanonicalLength(canonical);
  }

  /**
   * Parses and validates a key reference.
   *
   * @param reference the reference text
   * @return the reference
   * @throws IllegalArgumentException naming the rule broken
   * @throws NullPointerException if {@code reference} is null
   */
  public static KeyReference parse(String reference) {
    Objects.requireNonNull(reference, "reference");
    KeyReferenceRules.checkText(reference);
    String lower = reference.toLowerCase(Locale.ROOT);
    if (lower.startsWith("https://")) {
      return AzureKeyIds.parse(reference);
    }
    if (lower.startsWith("pkcs11:")) {
      return Pkcs11Uris.parse(reference.substring("pkcs11:".length()));
    }
    if (lower.startsWith("local:")) {
      String rest = reference.substring("local:".length());
      int slash = rest.indexOf('/');
      return local(
          slash < 0 ? rest : rest.substring(0, slash),
          slash < 0 ? null : rest.substring(slash + 1));
    }
    throw new IllegalArgumentException(
        "key reference scheme not recognised: expected https:// (Azure Key Vault / Managed HSM),"
            + " pkcs11: or local:");
  }

  /**
   * A local key reference.
   *
   * @param name key name, 1&ndash;127 of {@code [0-9a-zA-Z-]}
   * @param version version, or {@code null} for versionless
   * @return the reference
   * @throws IllegalArgumentException if the name or version breaks the rules
   * @throws NullPointerException if {@code name} is null
   */
  public static KeyReference local(String name, @Nullable String version) {
    Objects.requireNonNull(name, "name");
    KeyReferenceRules.checkKeyName(name);
    return new KeyReference(
        Kind.LOCAL,
        "",
        name,
        version == null ? null : KeyReferenceRules.checkLocalVersion(version),
        Map.of());
  }

  /**
   * A PKCS#11 key reference, {@code pkcs11:token=...;object=...[;id=...]}, from the decoded
   * attribute values (this method percent-encodes them).
   *
   * @param tokenLabel the token label ({@code CKA_LABEL} of the token), at most 32 characters;
   *     empty for none
   * @param object the key's label, the key name: 1&ndash;127 characters without control characters
   * @param version the {@code CKA_ID} in RFC 7512 text ({@code [0-9a-zA-Z._-]} and {@code %XX}
   *     bytes), or {@code null} for versionless
   * @return the reference
   * @throws IllegalArgumentException if a part breaks the rules
   * @throws NullPointerException if {@code tokenLabel} or {@code object} is null
   */
  public static KeyReference pkcs11(String tokenLabel, String object, @Nullable String version) {
    Objects.requireNonNull(tokenLabel, "tokenLabel");
    Objects.requireNonNull(object, "object");
    return Pkcs11Uris.of(
        tokenLabel,
        object,
        version == null ? null : Pkcs11Uris.canonicalVersion(version),
        Map.of());
  }

  /**
   * The precondition of operations that need one exact key version (wrap, enable, disable, ...).
   *
   * @param reference the reference to check
   * @param parameter the parameter's name, used in the messages
   * @return {@code reference}, for chaining
   * @throws NullPointerException naming {@code parameter} if {@code reference} is null
   * @throws IllegalArgumentException naming {@code parameter} if {@code reference} is not
   *     versioned
   */
  public static KeyReference requireVersioned(KeyReference reference, String parameter) {
    Objects.requireNonNull(parameter, "parameter");
    Objects.requireNonNull(reference, parameter);
    if (!reference.isVersioned()) {
      throw new IllegalArgumentException(
          parameter + " must name a key version; resolve the latest version first");
    }
    return reference;
  }

  private String render() {
    switch (kind) {
      case AZURE_KEY_VAULT:
      case AZURE_MANAGED_HSM:
        return AzureKeyIds.render(authority, name, version);
      case LOCAL:
        return "local:" + name + (version == null ? "" : "/" + version);
      case PKCS11:
        return Pkcs11Uris.render(authority, name, version, pkcs11Attributes);
      default:
        throw new AssertionError(kind);
    }
  }

  /** {@return which kind of key store this reference points into} */
  public Kind kind() {
    return kind;
  }

  /**
   * {@return the key store: {@code host[:port]} of the vault or HSM for Azure, the token label for
   * PKCS#11 (possibly empty), empty for local keys}
   */
  public String authority() {
    return authority;
  }

  /**
   * {@return the vault or Managed HSM name (first DNS label) for Azure references; the token label
   * for PKCS#11; empty for local keys}
   */
  public String vaultName() {
    if (kind == Kind.AZURE_KEY_VAULT || kind == Kind.AZURE_MANAGED_HSM) {
      return authority.substring(0, authority.indexOf('.'));
    }
    return authority;
  }

  /** {@return the {@code https://host[:port]} vault URL for Azure references, empty otherwise} */
  public Optional<String> vaultUrl() {
    if (kind == Kind.AZURE_KEY_VAULT || kind == Kind.AZURE_MANAGED_HSM) {
      return Optional.of("https://" + authority);
    }
    return Optional.empty();
  }

  /** {@return the key name} */
  public String name() {
    return name;
  }

  /**
   * The version, when this reference is pinned to one. For PKCS#11 the {@code CKA_ID} in canonical
   * RFC 7512 form (see the class description).
   *
   * @return the version, or empty for a versionless reference
   */
  public Optional<String> version() {
    return Optional.ofNullable(version);
  }

  /** {@return whether this reference is pinned to one version} */
  public boolean isVersioned() {
    return version != null;
  }

  /** {@return extra PKCS#11 path attributes (e.g. {@code serial}, {@code slot-id}), decoded} */
  public Map<String, String> pkcs11Attributes() {
    return pkcs11Attributes;
  }

  /**
   * The same key pinned to {@code version}.
   *
   * @param version the version, validated by the rules of this kind
   * @return a versioned reference
   * @throws IllegalArgumentException if {@code version} breaks the rules of this kind
   */
  public KeyReference withVersion(String version) {
    Objects.requireNonNull(version, "version");
    String canonicalVersion;
    switch (kind) {
      case AZURE_KEY_VAULT:
      case AZURE_MANAGED_HSM:
        canonicalVersion = AzureKeyIds.canonicalVersion(version);
        break;
      case PKCS11:
        canonicalVersion = Pkcs11Uris.canonicalVersion(version);
        break;
      default:
        canonicalVersion = KeyReferenceRules.checkLocalVersion(version);
        break;
    }
    return new KeyReference(kind, authority, name, canonicalVersion, pkcs11Attributes);
  }

  /** {@return the same key without a version (follows the latest version)} */
  public KeyReference versionless() {
    return version == null ? this : new KeyReference(kind, authority, name, null, pkcs11Attributes);
  }

  /**
   * {@return whether {@code other} names the same key, ignoring versions}
   *
   * @param other the reference to compare with
   */
  public boolean sameKeyAs(KeyReference other) {
    return versionless().equals(other.versionless());
  }

  /** The canonical string form, which {@link #parse(String)} accepts. */
  @Override
  public String toString() {
    return canonical;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof KeyReference && ((KeyReference) o).canonical.equals(canonical);
  }

  @Override
  public int hashCode() {
    return canonical.hashCode();
  }
}
