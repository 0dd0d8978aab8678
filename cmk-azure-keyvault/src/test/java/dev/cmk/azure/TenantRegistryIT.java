package dev.cmk.azure;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.core.KeyPolicy;
import dev.cmk.core.LossCause;
import dev.cmk.core.tenant.TenantKeys;
import dev.cmk.core.tenant.TenantRegistry;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.TestKeyPairs;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fifty tenants of a storage service on the loopback Key Vault, through the real Azure SDK over
 * HTTPS: five vaults (two with Azure RBAC, one Managed HSM), two identities, one provider per
 * vault and identity shared by ten tenants each. One tenant's key is disabled by its customer:
 * only that tenant fails; re-enabled within 30 minutes it recovers by itself, after 30 minutes
 * only {@code refresh(tenant)} brings it back.
 */
class TenantRegistryIT {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] DATA = "{\"blob\":\"customer data\"}".getBytes(UTF_8);
  private static final Set<KeyPermission> SERVICE_ROLE =
      Set.of(KeyPermission.GET, KeyPermission.LIST, KeyPermission.WRAP_KEY,
          KeyPermission.UNWRAP_KEY);
  /** The loopback HSM and the plain vault report no purge protection; isolation is the point. */
  private static final KeyPolicy POLICY =
      KeyPolicy.builder().allowKeysWithoutDeletionProtection().build();
  private static final List<String> VAULTS = List.of(LoopbackFixture.VAULT,
      LoopbackFixture.PROTECTED_VAULT, LoopbackFixture.HSM, LoopbackFixture.RBAC_VAULT,
      LoopbackFixture.OTHER_RBAC_VAULT);
  private static final String VICTIM = "tenant-17";

  private static LoopbackKeyVault server;

  private final ManualClock clock = ManualClock.startingAt(Instant.now());
  private final Map<String, TenantKeys> table = new ConcurrentHashMap<>();
  private final Map<String, KeyReference> versions = new LinkedHashMap<>();
  private final Map<String, LoopbackVault> vaultOf = new LinkedHashMap<>();
  private final Map<String, VaultIdentity> identities = new LinkedHashMap<>();
  private final AtomicInteger providersMade = new AtomicInteger();
  private TenantRegistry registry;

  @BeforeAll
  static void startServer() {
    server = LoopbackFixture.server();
  }

  private static String suffix() {
    return HexFormat.of().toHexDigits(RANDOM.nextInt());
  }

  @BeforeEach
  void fiftyTenants() {
    List<VaultIdentity> two = List.of(server.createApplication("tenants-1-" + suffix()),
        server.createApplication("tenants-2-" + suffix()));
    List<String> providerNames = new ArrayList<>();
    for (int v = 0; v < VAULTS.size(); v++) {
      VaultIdentity identity = two.get(v % 2);
      server.vault(VAULTS.get(v)).grant(identity, SERVICE_ROLE);
      String name = VAULTS.get(v) + "/" + (v % 2 == 0 ? "identity-1" : "identity-2");
      identities.put(name, identity);
      providerNames.add(name);
    }
    String run = suffix();
    for (int i = 0; i < 50; i++) {
      String tenant = "tenant-" + i;
      String provider = providerNames.get(i % providerNames.size());
      LoopbackVault vault = server.vault(provider.substring(0, provider.indexOf('/')));
      KeyReference version = vault.importRsaKey(tenant + "-" + run, TestKeyPairs.rsa2048(),
          vault.isManagedHsm());
      versions.put(tenant, version);
      vaultOf.put(tenant, vault);
      table.put(tenant, TenantKeys.of(provider, version.versionless(), POLICY));
    }
    registry = TenantRegistry.builder()
        .source(tenant -> Optional.ofNullable(table.get(tenant)))
        .providerFactory(name -> {
          providersMade.incrementAndGet();
          return AzureKeyVaultProvider.builder()
              .httpClient(LoopbackFixture.httpClient())
              .addVault(server.vaultUrl(name.substring(0, name.indexOf('/'))))
              .credential(LoopbackFixture.staticCredential(identities.get(name)))
              .clock(clock)
              .build();
        })
        .clock(clock)
        .sleeper(clock::advance)
        .build();
  }

  @AfterEach
  void closeRegistry() {
    registry.close();
    vaultOf.get(VICTIM).keyManager().setEnabled(versions.get(VICTIM), true);
  }

  private static byte[] aad(String tenant) {
    return ("blobs/" + tenant + "/1").getBytes(UTF_8);
  }

  private Map<String, byte[]> everyTenantWrites() {
    Map<String, byte[]> envelopes = new LinkedHashMap<>();
    for (String tenant : table.keySet()) {
      byte[] e = registry.crypto(tenant).encrypt(DATA, aad(tenant));
      assertArrayEquals(DATA, registry.crypto(tenant).decrypt(e, aad(tenant)));
      envelopes.put(tenant, e);
    }
    assertEquals(5, providersMade.get(), "one provider per vault and identity");
    return envelopes;
  }

  private void everyOtherTenantReadsAndWrites(Map<String, byte[]> envelopes) {
    for (String tenant : envelopes.keySet()) {
      if (!tenant.equals(VICTIM)) {
        assertArrayEquals(DATA, registry.crypto(tenant).decrypt(envelopes.get(tenant),
            aad(tenant)), tenant);
        byte[] e = registry.crypto(tenant).encrypt(DATA, aad(tenant));
        assertArrayEquals(DATA, registry.crypto(tenant).decrypt(e, aad(tenant)), tenant);
      }
    }
  }

  /** The customer disables the victim's key; the next probe finds it. */
  private KeyAccessStatus revoke(Map<String, byte[]> envelopes) {
    vaultOf.get(VICTIM).keyManager().setEnabled(versions.get(VICTIM), false);
    clock.advance(Duration.ofSeconds(61));
    KeyAccessSuspendedException e = assertThrows(KeyAccessSuspendedException.class,
        () -> registry.crypto(VICTIM).decrypt(envelopes.get(VICTIM), aad(VICTIM)));
    assertFalse(e.refreshRequired());
    KeyAccessStatus lost = registry.status(VICTIM);
    assertEquals(KeyAccessState.UNAVAILABLE, lost.state());
    assertEquals(LossCause.KEY_DISABLED, lost.cause());
    everyOtherTenantReadsAndWrites(envelopes);
    return lost;
  }

  @Test
  void fiftyTenants_oneKeyDisabledAndReEnabledWithin30Minutes_onlyItFailed_recoversByItself() {
    Map<String, byte[]> envelopes = everyTenantWrites();
    KeyAccessStatus lost = revoke(envelopes);

    clock.set(lost.since().plus(Duration.ofMinutes(20)));
    vaultOf.get(VICTIM).keyManager().setEnabled(versions.get(VICTIM), true);
    byte[] back = null;
    for (int step = 0; step < 24 && back == null; step++) {
      try {
        back = registry.crypto(VICTIM).decrypt(envelopes.get(VICTIM), aad(VICTIM));
      } catch (KeyAccessSuspendedException waitingForProbe) {
        assertFalse(waitingForProbe.refreshRequired());
        clock.advance(Duration.ofSeconds(5));
      }
    }
    assertArrayEquals(DATA, back, "recovered without a refresh");
    assertEquals(KeyAccessState.AVAILABLE, registry.status(VICTIM).state());
    everyOtherTenantReadsAndWrites(envelopes);
  }

  @Test
  void fiftyTenants_oneKeyDisabledFor40Minutes_needsRefresh_othersNeverFailed() {
    Map<String, byte[]> envelopes = everyTenantWrites();
    KeyAccessStatus lost = revoke(envelopes);

    clock.set(lost.since().plus(Duration.ofMinutes(30))); // the deadline probe: still disabled
    assertEquals(KeyAccessState.REFRESH_REQUIRED, registry.status(VICTIM).state());
    clock.set(lost.since().plus(Duration.ofMinutes(40)));
    vaultOf.get(VICTIM).keyManager().setEnabled(versions.get(VICTIM), true);
    clock.advance(Duration.ofMinutes(1));
    KeyAccessSuspendedException e = assertThrows(KeyAccessSuspendedException.class,
        () -> registry.crypto(VICTIM).decrypt(envelopes.get(VICTIM), aad(VICTIM)));
    assertTrue(e.refreshRequired());
    everyOtherTenantReadsAndWrites(envelopes);

    assertEquals(KeyAccessState.AVAILABLE, registry.refresh(VICTIM).state());
    assertArrayEquals(DATA, registry.crypto(VICTIM).decrypt(envelopes.get(VICTIM), aad(VICTIM)));
    assertEquals(5, providersMade.get(), "the refresh reused the shared provider");
  }
}
