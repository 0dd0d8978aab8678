package dev.cmk.api;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The Azure Key Vault and Managed HSM form of {@link KeyReference}: {@code
 * https://{vault}.{cloud suffix}[:port]/keys/{name}[/{version}]}. Parsing, the vault-name and
 * version rules, and the canonical form.
 */
final class AzureKeyIds {
  /** Host suffixes by cloud (public, China, US Government, Germany), each with its kind. */
  private static final List<Map.Entry<String, KeyReference.Kind>> CLOUD_SUFFIXES =
      List.of(
          Map.entry(".vault.azure.net", KeyReference.Kind.AZURE_KEY_VAULT),
          Map.entry(".vault.azure.cn", KeyReference.Kind.AZURE_KEY_VAULT),
          Map.entry(".vault.usgovcloudapi.net", KeyReference.Kind.AZURE_KEY_VAULT),
          Map.entry(".vault.microsoftazure.de", KeyReference.Kind.AZURE_KEY_VAULT),
          Map.entry(".managedhsm.azure.net", KeyReference.Kind.AZURE_MANAGED_HSM),
          Map.entry(".managedhsm.azure.cn", KeyReference.Kind.AZURE_MANAGED_HSM),
          Map.entry(".managedhsm.usgovcloudapi.net", KeyReference.Kind.AZURE_MANAGED_HSM));

  private static final Pattern VAULT_NAME =
      Pattern.compile("[a-zA-Z](?:[a-zA-Z0-9-]{1,22})[a-zA-Z0-9]");
  private static final Pattern VERSION = Pattern.compile("[0-9a-fA-F]{32}");
  private static final Pattern HTTPS =
      Pattern.compile(
          "https://([^/:?#]+)(?::([0-9]{1,5}))?(/[^?#]*)?(\\?[^#]*)?(#.*)?",
          Pattern.CASE_INSENSITIVE);

  private AzureKeyIds() {}

  /** Parses a whole {@code https://} reference. */
  static KeyReference parse(String reference) {
    Matcher m = HTTPS.matcher(reference);
    if (!m.matches()) {
      throw new IllegalArgumentException("Azure key identifier is not a valid https URL");
    }
    if (m.group(4) != null || m.group(5) != null) {
      throw new IllegalArgumentException(
          "Azure key identifier must not have a query or fragment");
    }
    String host = m.group(1).toLowerCase(Locale.ROOT);
    Map.Entry<String, KeyReference.Kind> cloud = cloudOf(host);
    KeyReference.Kind kind = cloud.getValue();
    checkVaultName(host.substring(0, host.length() - cloud.getKey().length()), kind);
    String authority = host + canonicalPort(m.group(2));
    String[] parts = keyPath(m.group(3));
    KeyReferenceRules.checkKeyName(parts[2]);
    String version = parts.length == 4 ? canonicalVersion(parts[3]) : null;
    return new KeyReference(kind, authority, parts[2], version, Map.of());
  }

  /** The cloud suffix {@code host} ends with, and the kind of key store it names. */
  private static Map.Entry<String, KeyReference.Kind> cloudOf(String host) {
    for (Map.Entry<String, KeyReference.Kind> e : CLOUD_SUFFIXES) {
      if (host.endsWith(e.getKey())) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        "Azure key identifier host must end with one of "
            + suffixes(KeyReference.Kind.AZURE_KEY_VAULT)
            + " (Key Vault) or "
            + suffixes(KeyReference.Kind.AZURE_MANAGED_HSM)
            + " (Managed HSM)");
  }

  private static List<String> suffixes(KeyReference.Kind kind) {
    return CLOUD_SUFFIXES.stream().filter(e -> e.getValue() == kind).map(Map.Entry::getKey).toList();
  }

  /** {@code ":port"}, or empty for none or the default 443; no leading zeros. */
  private static String canonicalPort(@Nullable String port) {
    if (port == null) {
      return "";
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException("Azure key identifier port must be 1-65535");
    }
    return p == 443 ? "" : ":" + p;
  }

  /** {@code "", "keys", name [, version]}, a trailing slash ignored. */
  private static String[] keyPath(@Nullable String path) {
    String p = path == null ? "" : path;
    if (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    String[] parts = p.split("/", -1);
    if (parts.length < 3 || parts.length > 4 || !parts[0].isEmpty() || !"keys".equals(parts[1])) {
      throw new IllegalArgumentException(
          "Azure key identifier path must be /keys/{name} or /keys/{name}/{version}");
    }
    return parts;
  }

  /** A version's canonical text: 32 hexadecimal digits, lower case. */
  static String canonicalVersion(String version) {
    if (!VERSION.matcher(version).matches()) {
      throw new IllegalArgumentException("Azure key version must be 32 hexadecimal characters");
    }
    return version.toLowerCase(Locale.ROOT);
  }

  private static void checkVaultName(String vault, KeyReference.Kind kind) {
    String what = kind == KeyReference.Kind.AZURE_MANAGED_HSM ? "Managed HSM name" : "vault name";
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

  /** The canonical form. */
  static String render(String authority, String name, @Nullable String version) {
    return "https://" + authority + "/keys/" + name + (version == null ? "" : "/" + version);
  }
}
