package dev.cmk.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

  private static final List<String> KEY_VAULT_SUFFIXES =
      List.of(
          ".vault.azure.net",
          ".vault.azure.cn",
          ".vault.usgovcloudapi.net",
          ".vault.microsoftazure.de");
  private static final List<String> MANAGED_HSM_SUFFIXES =
      List.of(".managedhsm.azure.net", ".managedhsm.azure.cn", ".managedhsm.usgovcloudapi.net");

  private static final Pattern VAULT_NAME = Pattern.compile("[a-zA-Z](?:[a-zA-Z0-9-]{1,22})[a-zA-Z0-9]");
  private static final Pattern KEY_NAME = Pattern.compile("[0-9a-zA-Z-]{1,127}");
  private static final Pattern AZURE_VERSION = Pattern.compile("[0-9a-fA-F]{32}");
  private static final Pattern LOCAL_VERSION = Pattern.compile("[0-9a-zA-Z._-]{1,64}");
  private static final Pattern PKCS11_ID_TEXT = Pattern.compile("(?:[0-9a-zA-Z._-]|%[0-9a-fA-F]{2})+");
  private static final int MAX_PKCS11_LABEL = 127;
  private static final int MAX_PKCS11_ID_BYTES = 64;
  private static final Pattern HTTPS =
      Pattern.compile("https://([^/:?#]+)(?::([0-9]{1,5}))?(/[^?#]*)?(\\?[^#]*)?(#.*)?", Pattern.CASE_INSENSITIVE);

  private final Kind kind;
  private final String authority; // vault/hsm host[:port], token label, or "" for local
  private final String name;
  private final String version; // nullable
  private final Map<String, String> pkcs11Attributes; // decoded, sorted; empty for others
  private final String canonical;

  private KeyReference(
      Kind kind, String authority, String name, String version, Map<String, String> attrs) {
    this.kind = kind;
    this.authority = authority;
    this.name = name;
    this.version = version;
    this.pkcs11Attributes = attrs;
    this.canonical = render();
    if (canonical.length() > MAX_LENGTH) {
      // Percent-encoding can lengthen a PKCS#11 URI: toString() must stay parseable.
      throw new IllegalArgumentException(
          "key reference is longer than " + MAX_LENGTH + " characters in canonical form");
    }
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
    if (reference.isEmpty()) {
      throw new IllegalArgumentException("key reference is empty");
    }
    if (reference.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "key reference is longer than " + MAX_LENGTH + " characters");
    }
    for (int i = 0; i < reference.length(); i++) {
      char c = reference.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        throw new IllegalArgumentException(
            "key reference contains whitespace, control or non-ASCII characters");
      }
    }
    String lower = reference.toLowerCase(Locale.ROOT);
    if (lower.startsWith("https://")) {
      return parseAzure(reference);
    }
    if (lower.startsWith("pkcs11:")) {
      return parsePkcs11(reference.substring("pkcs11:".length()));
    }
    if (lower.startsWith("local:")) {
      return parseLocal(reference.substring("local:".length()));
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
   */
  public static KeyReference local(String name, String version) {
    Objects.requireNonNull(name, "name");
    checkKeyName(name);
    if (version != null) {
      checkLocalVersion(version);
    }
    return new KeyReference(Kind.LOCAL, "", name, version, Map.of());
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

  private static KeyReference parseAzure(String reference) {
    Matcher m = HTTPS.matcher(reference);
    if (!m.matches()) {
      throw new IllegalArgumentException("Azure key identifier is not a valid https URL");
    }
    if (m.group(4) != null || m.group(5) != null) {
      throw new IllegalArgumentException(
          "Azure key identifier must not have a query or fragment");
    }
    String host = m.group(1).toLowerCase(Locale.ROOT);
    String port = m.group(2);
    Kind kind = null;
    String vault = null;
    for (String s : KEY_VAULT_SUFFIXES) {
      if (host.endsWith(s)) {
        kind = Kind.AZURE_KEY_VAULT;
        vault = host.substring(0, host.length() - s.length());
      }
    }
    for (String s : MANAGED_HSM_SUFFIXES) {
      if (host.endsWith(s)) {
        kind = Kind.AZURE_MANAGED_HSM;
        vault = host.substring(0, host.length() - s.length());
      }
    }
    if (kind == null) {
      throw new IllegalArgumentException(
          "Azure key identifier host must end with one of "
              + KEY_VAULT_SUFFIXES
              + " (Key Vault) or "
              + MANAGED_HSM_SUFFIXES
              + " (Managed HSM)");
    }
    checkVaultName(vault, kind);
    if (port != null) {
      int p = Integer.parseInt(port);
      if (p < 1 || p > 65535) {
        throw new IllegalArgumentException("Azure key identifier port must be 1-65535");
      }
      port = p == 443 ? null : Integer.toString(p); // canonical: no default port, no leading zeros
    }
    String path = m.group(3) == null ? "" : m.group(3);
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String[] parts = path.split("/", -1);
    // "", "keys", name [, version]
    if (parts.length < 3 || parts.length > 4 || !parts[0].isEmpty() || !"keys".equals(parts[1])) {
      throw new IllegalArgumentException(
          "Azure key identifier path must be /keys/{name} or /keys/{name}/{version}");
    }
    checkKeyName(parts[2]);
    String version = null;
    if (parts.length == 4) {
      version = parts[3];
      if (!AZURE_VERSION.matcher(version).matches()) {
        throw new IllegalArgumentException(
            "Azure key version must be 32 hexadecimal characters");
      }
      version = version.toLowerCase(Locale.ROOT);
    }
    String authority = port == null ? host : host + ":" + port;
    return new KeyReference(kind, authority, parts[2], version, Map.of());
  }

  private static KeyReference parseLocal(String rest) {
    int slash = rest.indexOf('/');
    String name = slash < 0 ? rest : rest.substring(0, slash);
    String version = slash < 0 ? null : rest.substring(slash + 1);
    checkKeyName(name);
    if (version != null) {
      checkLocalVersion(version);
    }
    return new KeyReference(Kind.LOCAL, "", name, version, Map.of());
  }

  private static KeyReference parsePkcs11(String rest) {
    int q = rest.indexOf('?');
    String path = q < 0 ? rest : rest.substring(0, q);
    String query = q < 0 ? "" : rest.substring(q + 1);
    if (!query.isEmpty()) {
      for (String attr : query.split("&", -1)) {
        String an = attr.contains("=") ? attr.substring(0, attr.indexOf('=')) : attr;
        if (an.equalsIgnoreCase("pin-value")) {
          throw new IllegalArgumentException(
              "PKCS#11 URI must not carry pin-value: configure the PIN on the provider");
        }
      }
      throw new IllegalArgumentException(
          "PKCS#11 URI query attributes are not supported in key references");
    }
    Map<String, String> attrs = new TreeMap<>();
    if (path.isEmpty()) {
      throw new IllegalArgumentException("PKCS#11 URI has no path attributes");
    }
    for (String attr : path.split(";", -1)) {
      int eq = attr.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "PKCS#11 URI path attribute must be name=value (RFC 7512)");
      }
      String an = attr.substring(0, eq).toLowerCase(Locale.ROOT);
      String raw = attr.substring(eq + 1);
      String av = an.equals("id") ? pkcs11Id(percentDecodeBytes(raw)) : percentDecode(raw);
      if (!an.matches("[a-z][a-z0-9-]*")) {
        throw new IllegalArgumentException("PKCS#11 URI attribute name is not valid");
      }
      if (an.equals("pin-value")) {
        throw new IllegalArgumentException(
            "PKCS#11 URI must not carry pin-value: configure the PIN on the provider");
      }
      if (attrs.put(an, av) != null) {
        throw new IllegalArgumentException("PKCS#11 URI attribute '" + an + "' appears twice");
      }
    }
    String object = attrs.get("object");
    if (object == null) {
      throw new IllegalArgumentException("PKCS#11 URI must name the key with object=");
    }
    checkPkcs11Label(object);
    String token = attrs.getOrDefault("token", "");
    if (token.length() > 32) {
      throw new IllegalArgumentException("PKCS#11 token label is longer than 32 characters");
    }
    String type = attrs.get("type");
    if (type != null && !type.equals("private") && !type.equals("public")) {
      throw new IllegalArgumentException("PKCS#11 URI type must be private or public for a key");
    }
    attrs.remove("type");
    String version = attrs.get("id"); // canonical already
    attrs.remove("object");
    attrs.remove("id");
    attrs.remove("token");
    return new KeyReference(
        Kind.PKCS11, token, object, version, Collections.unmodifiableMap(attrs));
  }

  private static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    byte[] bytes = percentDecodeBytes(s);
    String decoded = new String(bytes, StandardCharsets.UTF_8);
    if (!java.util.Arrays.equals(decoded.getBytes(StandardCharsets.UTF_8), bytes)) {
      throw new IllegalArgumentException("PKCS#11 URI attribute is not valid UTF-8");
    }
    return decoded;
  }

  private static byte[] percentDecodeBytes(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw new IllegalArgumentException("PKCS#11 URI has a truncated percent-encoding");
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("PKCS#11 URI has an invalid percent-encoding");
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }

  /**
   * The canonical version text of a PKCS#11 {@code CKA_ID}: {@code [0-9a-zA-Z._-]} as themselves,
   * every other byte {@code %XX}.
   */
  private static String pkcs11Id(byte[] id) {
    if (id.length < 1 || id.length > MAX_PKCS11_ID_BYTES) {
      throw new IllegalArgumentException(
          "PKCS#11 id (the key version, CKA_ID) must be 1-" + MAX_PKCS11_ID_BYTES + " bytes");
    }
    StringBuilder sb = new StringBuilder(id.length * 3);
    for (byte b : id) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_') {
        sb.append((char) c);
      } else {
        sb.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  private static void checkPkcs11Label(String label) {
    int length = label.codePointCount(0, label.length());
    if (length < 1 || length > MAX_PKCS11_LABEL || label.codePoints().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(
          "PKCS#11 object label (the key name, CKA_LABEL) must be 1-"
              + MAX_PKCS11_LABEL
              + " characters without control characters");
    }
  }

  private static String percentEncode(String s) {
    StringBuilder sb = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  private static void checkVaultName(String vault, Kind kind) {
    String what = kind == Kind.AZURE_MANAGED_HSM ? "Managed HSM name" : "vault name";
    if (vault.length() < 3 || vault.length() > 24) {
      throw new IllegalArgumentException(what + " must be 3-24 characters");
    }
    if (!VAULT_NAME.matcher(vault).matches() || vault.contains("--")) {
      throw new IllegalArgumentException(
          what
              + " must contain only letters, digits and hyphens, start with a letter, end with a"
              + " letter or digit and have no consecutive hyphens");
    }
  }

  private static void checkKeyName(String name) {
    if (!KEY_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("key name must be 1-127 characters of [0-9a-zA-Z-]");
    }
  }

  private static void checkLocalVersion(String version) {
    if (!LOCAL_VERSION.matcher(version).matches()) {
      throw new IllegalArgumentException("key version must be 1-64 characters of [0-9a-zA-Z._-]");
    }
  }

  private String render() {
    switch (kind) {
      case AZURE_KEY_VAULT:
      case AZURE_MANAGED_HSM:
        return "https://" + authority + "/keys/" + name + (version == null ? "" : "/" + version);
      case LOCAL:
        return "local:" + name + (version == null ? "" : "/" + version);
      case PKCS11:
        Map<String, String> all = new LinkedHashMap<>();
        if (!authority.isEmpty()) {
          all.put("token", authority);
        }
        all.put("object", name);
        if (version != null) {
          all.put("id", version);
        }
        all.putAll(pkcs11Attributes);
        StringBuilder sb = new StringBuilder("pkcs11:");
        boolean first = true;
        for (Map.Entry<String, String> e : all.entrySet()) {
          if (!first) {
            sb.append(';');
          }
          first = false;
          // The id is kept in its canonical percent-encoded form already.
          sb.append(e.getKey())
              .append('=')
              .append(e.getKey().equals("id") ? e.getValue() : percentEncode(e.getValue()));
        }
        return sb.toString();
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
   */
  public KeyReference withVersion(String version) {
    Objects.requireNonNull(version, "version");
    if (kind == Kind.AZURE_KEY_VAULT || kind == Kind.AZURE_MANAGED_HSM) {
      if (!AZURE_VERSION.matcher(version).matches()) {
        throw new IllegalArgumentException(
            "Azure key version must be 32 hexadecimal characters");
      }
      version = version.toLowerCase(Locale.ROOT);
    } else if (kind == Kind.PKCS11) {
      if (!PKCS11_ID_TEXT.matcher(version).matches()) {
        throw new IllegalArgumentException(
            "PKCS#11 key version must be [0-9a-zA-Z._-] characters and %XX bytes (RFC 7512)");
      }
      version = pkcs11Id(percentDecodeBytes(version));
    } else {
      checkLocalVersion(version);
    }
    return new KeyReference(kind, authority, name, version, pkcs11Attributes);
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
  public boolean equals(Object o) {
    return o instanceof KeyReference && ((KeyReference) o).canonical.equals(canonical);
  }

  @Override
  public int hashCode() {
    return canonical.hashCode();
  }
}
