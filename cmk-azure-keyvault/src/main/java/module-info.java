/**
 * Azure Key Vault and Managed HSM key-encryption keys for cmk, through the Azure SDK: {@link
 * dev.cmk.azure.AzureKeyVaultProvider}, and an adapter to azure-core's {@code KeyEncryptionKey}
 * ({@link dev.cmk.azure.AzureKeyEncryptionKeys}).
 */
module dev.cmk.azure {
  requires static org.jspecify;
  requires transitive dev.cmk.api;
  requires transitive com.azure.core;
  requires transitive com.azure.security.keyvault.keys;
  requires com.azure.identity;
  requires com.microsoft.aad.msal4j;
  requires com.azure.json;
  requires org.slf4j;

  exports dev.cmk.azure;

  provides dev.cmk.api.spi.KeyEncryptionKeyProviderFactory with
      dev.cmk.azure.internal.AzureKeyVaultProviderFactory;
}
