package dev.cmk.azure;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Creates {@link AzureKeyVaultProvider}s from string settings, for tools such as the {@code cmk}
 * CLI (discovered through {@link java.util.ServiceLoader}; discovery never decides what decryption
 * trusts).
 *
 * <p>Settings (unknown ones are rejected):
 *
 * <ul>
 *   <li>{@code vaults} (required): comma-separated vault URLs, or {@code *} for any vault.
 *   <li>{@code credential} (required): {@code system-assigned-managed-identity}, {@code
 *       user-assigned-managed-identity} (with {@code managed-identity-client-id} or {@code
 *       managed-identity-resource-id}), or {@code default-azure-credential}.
 *   <li>{@code enabled-state-ttl-seconds}: see {@link AzureKeyVaultProviderBuilder#enabledStateTtl}.
 *   <li>{@code rate-budget-per-10s}: calls per vault per 10 s; {@code 0} disables the budget.
 * </ul>
 *
 * <p><b>Thread safety:</b> stateless; safe for concurrent use.
 */
public final class AzureKeyVaultProviderFactory implements KeyEncryptionKeyProviderFactory {
  private static final Set<String> KNOWN =
      Set.of(
          "vaults",
          "credential",
          "managed-identity-client-id",
          "managed-identity-resource-id",
          "enabled-state-ttl-seconds",
          "rate-budget-per-10s");

  /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
  public AzureKeyVaultProviderFactory() {}

  @Override
  public String id() {
    return AzureKeyVaultProvider.ID;
  }

  /**
   * Creates a provider.
   *
   * @param settings the settings listed on this class
   * @return a new provider
   * @throws IllegalArgumentException if a setting is missing, unknown or invalid
   */
  @Override
  public KeyEncryptionKeyProvider create(Map<String, String> settings) {
    Objects.requireNonNull(settings, "settings");
    for (String key : settings.keySet()) {
      if (!KNOWN.contains(key)) {
        throw new IllegalArgumentException("unknown azure-keyvault setting: " + key);
      }
    }
    AzureKeyVaultProviderBuilder b = AzureKeyVaultProvider.builder();
    String vaults = require(settings, "vaults");
    if (vaults.trim().equals("*")) {
      b.allowAnyVault();
    } else {
      for (String v : vaults.split(",")) {
        if (!v.isBlank()) {
          b.addVault(v.trim());
        }
      }
    }
    String credential = require(settings, "credential");
    String clientId = settings.get("managed-identity-client-id");
    String resourceId = settings.get("managed-identity-resource-id");
    switch (credential) {
      case "system-assigned-managed-identity":
        b.systemAssignedManagedIdentity();
        break;
      case "user-assigned-managed-identity":
        if ((clientId == null) == (resourceId == null)) {
          throw new IllegalArgumentException(
              "user-assigned-managed-identity needs exactly one of managed-identity-client-id and"
                  + " managed-identity-resource-id");
        }
        if (clientId != null) {
          b.userAssignedManagedIdentityClientId(clientId);
        } else {
          b.userAssignedManagedIdentityResourceId(resourceId);
        }
        break;
      case "default-azure-credential":
        b.defaultAzureCredential();
        break;
      default:
        throw new IllegalArgumentException(
            "credential must be system-assigned-managed-identity, user-assigned-managed-identity"
                + " or default-azure-credential");
    }
    if (!credential.equals("user-assigned-managed-identity") && (clientId != null || resourceId != null)) {
      throw new IllegalArgumentException("managed-identity-* settings need credential=user-assigned-managed-identity");
    }
    String ttl = settings.get("enabled-state-ttl-seconds");
    if (ttl != null) {
      b.enabledStateTtl(Duration.ofSeconds(number(ttl, "enabled-state-ttl-seconds")));
    }
    String budget = settings.get("rate-budget-per-10s");
    if (budget != null) {
      long n = number(budget, "rate-budget-per-10s");
      if (n == 0) {
        b.disableRateBudget();
      } else {
        b.rateBudget(RateBudget.perTenSeconds((int) Math.min(n, Integer.MAX_VALUE)));
      }
    }
    return b.build();
  }

  private static String require(Map<String, String> settings, String key) {
    String v = settings.get(key);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("azure-keyvault setting '" + key + "' is required");
    }
    return v;
  }

  private static long number(String value, String key) {
    try {
      long n = Long.parseLong(value.trim());
      if (n < 0) {
        throw new IllegalArgumentException(key + " must not be negative");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a whole number", e);
    }
  }
}
