package dev.cmk.azure;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.testkit.KeyEncryptionKeyProviderContract;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.time.Duration;

/**
 * The provider contract, run with the real Azure SDK over HTTPS against the loopback Key Vault.
 *
 * <p>The contract expects a wrap right after a delete or disable to fail; the provider is
 * therefore configured with an enabled-state TTL of zero (re-read the version's state before each
 * local wrap). The default TTL trades that immediacy for no network call per write, see {@link
 * AzureKeyVaultProvider}.
 */
class AzureKeyVaultProviderContractIT extends KeyEncryptionKeyProviderContract {
  private static final AzureKeyVaultProvider PROVIDER;
  private static final LoopbackVault VAULT;

  static {
    VAULT = LoopbackFixture.server().vault(LoopbackFixture.VAULT);
    VaultIdentity app = LoopbackFixture.server().createApplication("contract-app");
    VAULT.grant(app, KeyPermission.cryptoServiceEncryptionUser());
    PROVIDER =
        LoopbackFixture.providerBuilder()
            .credential(LoopbackFixture.staticCredential(app))
            .enabledStateTtl(Duration.ZERO)
            .build();
  }

  @Override
  protected KeyEncryptionKeyProvider provider() {
    return PROVIDER;
  }

  @Override
  protected KeyReference createKey(String name, int sizeBits) {
    return VAULT.createRsaKey(name, sizeBits);
  }

  @Override
  protected KeyReference rotateKey(KeyReference key) {
    return VAULT.rotateKey(key.name());
  }

  @Override
  protected void setEnabled(KeyReference version, boolean enabled) {
    VAULT.keyManager().setEnabled(version, enabled);
  }

  @Override
  protected void deleteKey(KeyReference key) {
    VAULT.deleteKey(key.name());
  }
}
