package dev.cmk.spring.boot;

import com.azure.core.credential.TokenCredential;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.azure.AzureKeyVaultProvider;
import dev.cmk.azure.AzureKeyVaultProviderBuilder;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;

/**
 * The Azure Key Vault / Managed HSM provider from {@code cmk.key-vault.*}; loaded only when that
 * provider is configured (and {@code cmk-azure-keyvault} is on the class path).
 */
final class KeyVaultProviders {
  private KeyVaultProviders() {}

  static KeyEncryptionKeyProvider create(CmkProperties properties, Clock clock, BeanFactory beans) {
    CmkProperties.KeyVault kv = properties.keyVault();
    AzureKeyVaultProviderBuilder b = AzureKeyVaultProvider.builder();
    credential(b, kv, beans.getBeanProvider(TokenCredential.class));
    for (String vault : vaults(properties)) {
      b.addVault(vault);
    }
    if (clock != null) {
      b.clock(clock);
    }
    beans.getBeanProvider(KeyVaultProviderCustomizer.class)
        .orderedStream()
        .forEach(c -> c.customize(b));
    return b.build();
  }

  private static void credential(
      AzureKeyVaultProviderBuilder b, CmkProperties.KeyVault kv,
      ObjectProvider<TokenCredential> credentials) {
    TokenCredential bean = null;
    if (kv.credential() != CmkProperties.Credential.MANAGED_IDENTITY) {
      long count = credentials.stream().count();
      bean = credentials.getIfUnique();
      if (bean == null && count > 1) {
        throw new IllegalStateException("the application has " + count
            + " TokenCredential beans: mark one @Primary, or set"
            + " cmk.key-vault.credential=managed-identity");
      }
      if (bean == null && kv.credential() == CmkProperties.Credential.TOKEN_CREDENTIAL) {
        throw new IllegalStateException("cmk.key-vault.credential=token-credential, but the"
            + " application has no com.azure.core.credential.TokenCredential bean");
      }
    }
    if (bean != null) {
      b.credential(bean);
    } else if (kv.managedIdentityClientId() != null) {
      b.userAssignedManagedIdentityClientId(kv.managedIdentityClientId());
    } else {
      b.systemAssignedManagedIdentity();
    }
  }

  /** The vaults of the write key and the decrypt-only keys, then the additional ones. */
  private static Set<String> vaults(CmkProperties properties) {
    Set<String> vaults = new LinkedHashSet<>();
    properties.keyReference().flatMap(KeyReference::vaultUrl).ifPresent(vaults::add);
    List<KeyReference> readOnly = properties.decryptOnlyKeyReferences();
    vaults.addAll(readOnly.stream().map(KeyReference::vaultUrl)
        .flatMap(java.util.Optional::stream).collect(Collectors.toList()));
    vaults.addAll(properties.keyVault().additionalVaults());
    return vaults;
  }
}
