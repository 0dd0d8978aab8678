/**
 * Azure Key Vault and Managed HSM key-encryption keys through the Azure SDK: {@link
 * dev.cmk.azure.AzureKeyVaultProvider} (provider id {@code azure-keyvault}) and its builder, the
 * vault allow-list, the shared rate budget, and an adapter to azure-core's {@code
 * KeyEncryptionKey} ({@link dev.cmk.azure.AzureKeyEncryptionKeys}).
 *
 * <p>Non-null by default: parameters, return values and fields are never null unless marked
 * {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cmk.azure;

import org.jspecify.annotations.NullMarked;
