package dev.cmk.cli;

import dev.cmk.azure.AzureKeyVaultProvider;
import dev.cmk.azure.AzureKeyVaultProviderBuilder;

/**
 * Gives the Azure provider its credential from the options. Tests substitute one that adds a
 * loopback transport and a test credential; the vaults are never set here (they come from the
 * {@link KeyAllowList}).
 */
@FunctionalInterface
interface AzureSetup {
  /** {@code DefaultAzureCredential}, or the managed identity {@code --managed-identity} names. */
  AzureSetup FROM_OPTIONS =
      (b, options) -> {
        if (options.managedIdentity == null) {
          b.defaultAzureCredential();
        } else if (options.managedIdentity.isEmpty()) {
          b.systemAssignedManagedIdentity();
        } else {
          b.userAssignedManagedIdentityClientId(options.managedIdentity);
        }
      };

  /**
   * Sets the credential (and anything else but the vaults) on {@code builder}.
   *
   * @param builder the provider builder
   * @param options the command's key options
   */
  void configure(AzureKeyVaultProviderBuilder builder, KeyOptions options);
}
