package dev.cmk.azure.internal;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import dev.cmk.api.spi.ProviderSettings;
import dev.cmk.azure.AzureKeyVaultProvider;
import dev.cmk.azure.AzureKeyVaultProviderBuilder;
import dev.cmk.azure.RateBudget;
import dev.cmk.azure.VaultAllowList;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Creates {@link AzureKeyVaultProvider}s from string settings, for tools such as the {@code cmk}
 * CLI (discovered through {@link java.util.ServiceLoader}; discovery never decides what decryption
 * trusts). Parsed with cmk-api's {@link ProviderSettings}, so errors name the setting.
 *
 * <p>Settings (unknown ones are rejected):
 *
 * <ul>
 *   <li>{@code vaults} (required): comma-separated vault URLs, parsed by {@link
 *       VaultAllowList#parse}: never {@code *} (any vault), alone or in the list. Tools that build
 *       this setting check their input with the same method.
 *   <li>{@code credential} (required): {@code system-assigned-managed-identity}, {@code
 *       user-assigned-managed-identity} (with exactly one of {@code managed-identity-client-id} and
 *       {@code managed-identity-resource-id}), or {@code default-azure-credential}.
 *   <li>{@code enabled-state-ttl-seconds}: see {@link AzureKeyVaultProviderBuilder#enabledStateTtl}.
 *   <li>{@code rate-budget-per-10s}: calls per vault per 10 s; {@code 0} disables the budget.
 * </ul>
 *
 * <p><b>Thread safety:</b> stateless; safe for concurrent use.
 */
public final class AzureKeyVaultProviderFactory implements KeyEncryptionKeyProviderFactory {
  private static final String CLIENT_ID = "managed-identity-client-id";
  private static final String RESOURCE_ID = "managed-identity-resource-id";
  private static final Set<String> KNOWN =
      Set.of(
          "vaults",
          "credential",
          CLIENT_ID,
          RESOURCE_ID,
          "enabled-state-ttl-seconds",
          "rate-budget-per-10s");

  private enum Credential {
    SYSTEM_ASSIGNED,
    USER_ASSIGNED,
    DEFAULT
  }

  private static final Map<String, Credential> CREDENTIALS =
      Map.of(
          "system-assigned-managed-identity", Credential.SYSTEM_ASSIGNED,
          "user-assigned-managed-identity", Credential.USER_ASSIGNED,
          "default-azure-credential", Credential.DEFAULT);

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
   * @throws NullPointerException if {@code settings} is null
   * @throws IllegalArgumentException if a setting is missing, unknown or invalid (the message
   *     names it)
   */
  @Override
  public KeyEncryptionKeyProvider create(Map<String, String> settings) {
    ProviderSettings s = ProviderSettings.of(AzureKeyVaultProvider.ID, settings, KNOWN);
    AzureKeyVaultProviderBuilder b = AzureKeyVaultProvider.builder();
    List<String> vaults;
    try {
      vaults = VaultAllowList.parse(s.required("vaults"));
    } catch (IllegalArgumentException e) {
      throw s.invalid("vaults", "is invalid: " + e.getMessage());
    }
    vaults.forEach(b::addVault);
    s.required("credential");
    Credential credential = s.optionalChoice("credential", CREDENTIALS).orElseThrow();
    switch (credential) {
      case SYSTEM_ASSIGNED:
        b.systemAssignedManagedIdentity();
        break;
      case USER_ASSIGNED:
        if (s.exactlyOneOf(CLIENT_ID, RESOURCE_ID).equals(CLIENT_ID)) {
          b.userAssignedManagedIdentityClientId(s.required(CLIENT_ID));
        } else {
          b.userAssignedManagedIdentityResourceId(s.required(RESOURCE_ID));
        }
        break;
      default:
        b.defaultAzureCredential();
        break;
    }
    if (credential != Credential.USER_ASSIGNED && (s.has(CLIENT_ID) || s.has(RESOURCE_ID))) {
      throw s.invalid(
          s.has(CLIENT_ID) ? CLIENT_ID : RESOURCE_ID,
          "needs credential=user-assigned-managed-identity");
    }
    s.optionalLong("enabled-state-ttl-seconds", 0, Long.MAX_VALUE)
        .ifPresent(ttl -> b.enabledStateTtl(Duration.ofSeconds(ttl)));
    s.optionalLong("rate-budget-per-10s", 0, Integer.MAX_VALUE)
        .ifPresent(
            n -> {
              if (n == 0) {
                b.disableRateBudget();
              } else {
                b.rateBudget(RateBudget.perTenSeconds(n.intValue()));
              }
            });
    return b.build();
  }
}
