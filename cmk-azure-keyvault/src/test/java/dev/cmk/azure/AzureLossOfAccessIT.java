package dev.cmk.azure;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.testkit.ContractSubject;
import dev.cmk.testkit.LossOfAccessContract;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.util.UUID;

/**
 * cmk-testkit's loss-of-access contract through this provider: the real Azure SDK over HTTPS to
 * the loopback Key Vault, the key disabled and enabled through the vault's key manager behind the
 * guarded instance's back. Identity loss and throttling, which the contract does not cover, are
 * {@link KeyAccessGuardIT}.
 */
class AzureLossOfAccessIT implements LossOfAccessContract {

  private final LoopbackKeyVault server = LoopbackFixture.server();
  private final LoopbackVault vault = server.vault(LoopbackFixture.PROTECTED_VAULT);

  @Override
  public ContractSubject subject() {
    return ContractSubject.of(adminProvider(), vault.keyManager());
  }

  private AzureKeyVaultProvider adminProvider() {
    return LoopbackFixture.providerBuilder()
        .credential(LoopbackFixture.staticCredential(identity("loss-admin")))
        .retryOptions(LoopbackFixture.NO_SDK_RETRIES).build();
  }

  private VaultIdentity identity(String prefix) {
    VaultIdentity id = server.createApplication(prefix + "-" + UUID.randomUUID());
    vault.grant(id, KeyPermission.GET, KeyPermission.LIST, KeyPermission.WRAP_KEY,
        KeyPermission.UNWRAP_KEY);
    return id;
  }

  @Override
  public GuardedEnvelopes guarded(KeyReference key, ManualClock clock) {
    AzureKeyVaultProvider provider = LoopbackFixture.providerBuilder()
        .credential(LoopbackFixture.staticCredential(identity("loss-guarded")))
        .retryOptions(LoopbackFixture.NO_SDK_RETRIES).clock(clock).build();
    EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(provider)
        .writeKey(key.versionless()).keyPolicy(KeyPolicy.fhirService()).clock(clock)
        .sleeper(clock::advance).build();
    return GuardedEnvelopes.of(crypto::encrypt, crypto::decrypt,
        () -> crypto.keyAccess().refresh(), () -> {
          crypto.close();
          provider.close();
        });
  }
}
