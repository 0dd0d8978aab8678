package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import org.junit.jupiter.api.Test;

class SmokeIT {
  @Test
  void roundTrip() {
    LoopbackVault vault = LoopbackFixture.server().vault(LoopbackFixture.VAULT);
    VaultIdentity app = LoopbackFixture.server().createApplication("smoke");
    vault.grant(app, KeyPermission.all());
    KeyReference key = vault.createRsaKey("smoke", 2048);
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder().credential(LoopbackFixture.staticCredential(app)).build()) {
      KeyDescription d = p.describe(key.versionless());
      System.out.println(d);
      SecretBytes dk = SecretBytes.copyOf(new byte[32]);
      WrappedKey w = p.wrap(d.reference(), dk);
      assertEquals(dk, p.unwrap(w));
    }
    System.out.println(vault.requests());
  }
}
