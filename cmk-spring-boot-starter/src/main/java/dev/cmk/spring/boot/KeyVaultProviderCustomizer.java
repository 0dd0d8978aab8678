package dev.cmk.spring.boot;

import dev.cmk.azure.AzureKeyVaultProviderBuilder;

/**
 * Adjusts the Azure Key Vault / Managed HSM provider builder before the starter builds it (only
 * with {@code cmk.provider=key-vault} or {@code managed-hsm}): the Azure SDK's knobs such as
 * {@code httpClient}, {@code retryOptions}, {@code rateBudget}. Every bean of this type is applied,
 * in {@link org.springframework.core.annotation.Order @Order} order.
 *
 * <p>The starter has already set the credential and the allowed vaults, and the clock when the
 * application has a {@link java.time.Clock} bean; the builder refuses a second value for them.
 */
@FunctionalInterface
public interface KeyVaultProviderCustomizer {

  /**
   * Customizes the builder.
   *
   * @param builder the provider builder, with credential and vaults set
   */
  void customize(AzureKeyVaultProviderBuilder builder);
}
