package dev.cmk.azure;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyConfiguration;
import dev.cmk.core.KeyPolicy;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * "Set a new encryption key from a different storage location" — the Azure docs' way to rotate —
 * through the documented configuration path ({@code keyConfiguration} + {@code refresh()}): write
 * under a key in vault A, move to a key in vault B (another identity, another provider instance
 * of the same kind), read every old envelope, write new ones under B; then Key Vault → Managed
 * HSM. Real SDK over HTTPS against the loopback Key Vault; each provider serves only its own
 * vault, so old envelopes can only be read through the provider that served them.
 */
class VaultMoveIT {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] AAD = "Patient/7/_history/1".getBytes(UTF_8);
  private static final Set<KeyPermission> SERVICE_ROLE =
      Set.of(KeyPermission.GET, KeyPermission.LIST, KeyPermission.WRAP_KEY, KeyPermission.UNWRAP_KEY);
  /** The loopback HSM and the plain vault report no purge protection; moves are the point here. */
  private static final KeyPolicy POLICY =
      KeyPolicy.builder().allowKeysWithoutDeletionProtection().build();

  private static LoopbackKeyVault server;

  private final ManualClock clock = ManualClock.startingAt(Instant.now());
  private final List<AutoCloseable> opened = new ArrayList<>();

  @BeforeAll
  static void setUp() {
    server = LoopbackFixture.server();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : opened) {
      c.close();
    }
  }

  /** A provider for one vault only, with its own identity (role on that vault). */
  private AzureKeyVaultProvider providerFor(String vaultName, VaultIdentity identity) {
    server.vault(vaultName).grant(identity, SERVICE_ROLE);
    var builder = AzureKeyVaultProvider.builder();
    AzureKeyVaultProvider p = builder.httpClient(LoopbackFixture.httpClient())
        .addVault(server.vaultUrl(vaultName))
        .credential(LoopbackFixture.staticCredential(identity))
        .clock(clock)
        .build();
    opened.add(p);
    return p;
  }

  private static String suffix() {
    return HexFormat.of().toHexDigits(RANDOM.nextInt());
  }

  private void moveAndReadEverything(String fromVault, KeyReference fromKey, String toVault,
      KeyReference toKey) {
    AzureKeyVaultProvider from = providerFor(fromVault, server.createApplication("from-" + suffix()));
    AzureKeyVaultProvider to = providerFor(toVault, server.createApplication("to-" + suffix()));
    AtomicReference<KeyConfiguration> config =
        new AtomicReference<>(new KeyConfiguration(from, fromKey));
    EnvelopeCrypto crypto = EnvelopeCrypto.builder().keyConfiguration(config::get)
        .keyPolicy(POLICY).clock(clock).sleeper(clock::advance).build();
    opened.add(crypto);
    List<byte[]> old = new ArrayList<>();
    List<byte[]> plaintexts = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      byte[] p = ("resource " + i).getBytes(UTF_8);
      plaintexts.add(p);
      old.add(crypto.encrypt(p, AAD));
    }

    config.set(new KeyConfiguration(to, toKey));
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().refresh().state());
    crypto.diagnostics().purgeDataKeys(); // every old read below goes to the old vault

    for (int i = 0; i < old.size(); i++) {
      assertArrayEquals(plaintexts.get(i), crypto.decrypt(old.get(i), AAD), "old envelope " + i);
    }
    byte[] fresh = crypto.encrypt("new".getBytes(UTF_8), AAD);
    KeyReference written = EnvelopeInfo.of(fresh).keyReference();
    assertTrue(toKey.sameKeyAs(written), "new envelopes go to the new location: " + written);
    assertArrayEquals("new".getBytes(UTF_8), crypto.decrypt(fresh, AAD));
    assertEquals(Set.of(fromKey.versionless()), crypto.keyring().decryptOnlyKeys());

    crypto.keyring().retire(fromKey);
    assertThrows(KeyNotFoundException.class, () -> crypto.decrypt(old.get(0), AAD),
        "once retired, the old key is refused");
    assertArrayEquals("new".getBytes(UTF_8), crypto.decrypt(fresh, AAD));
  }

  @Test
  void moveToAKeyInAnotherVault_withAnotherIdentity_everyOldEnvelopeStaysReadable() {
    LoopbackVault a = server.vault(LoopbackFixture.RBAC_VAULT);
    LoopbackVault b = server.vault(LoopbackFixture.OTHER_RBAC_VAULT);
    KeyReference keyA = a.createRsaKey("move-a-" + suffix(), 2048).versionless();
    KeyReference keyB = b.createRsaKey("move-b-" + suffix(), 3072).versionless();
    moveAndReadEverything(LoopbackFixture.RBAC_VAULT, keyA, LoopbackFixture.OTHER_RBAC_VAULT, keyB);
  }

  @Test
  void moveFromKeyVaultToManagedHsm_everyOldEnvelopeStaysReadable() {
    LoopbackVault vault = server.vault(LoopbackFixture.VAULT);
    LoopbackVault hsm = server.vault(LoopbackFixture.HSM);
    KeyReference inVault = vault.createRsaKey("move-kv-" + suffix(), 2048).versionless();
    KeyReference inHsm = hsm.createRsaHsmKey("move-hsm-" + suffix(), 3072).versionless();
    moveAndReadEverything(LoopbackFixture.VAULT, inVault, LoopbackFixture.HSM, inHsm);
  }
}
