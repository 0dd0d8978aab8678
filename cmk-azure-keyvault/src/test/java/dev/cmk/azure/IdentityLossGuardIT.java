package dev.cmk.azure;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyPolicy;
import dev.cmk.core.LossCause;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.ManagedIdentityRefusal;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A deleted or disabled managed identity, end to end: the real {@code ManagedIdentityCredential}
 * (MSAL) asks the loopback App Service token endpoint, which starts refusing the identity; cmk-core's
 * loss-of-access guard, on a manual clock, must treat that as a loss of access (cause {@code
 * IDENTITY_NOT_AUTHORIZED}, cached data keys purged, the 30-minute rule) and not as an endless
 * outage.
 *
 * <p>The endpoint issues tokens that clients consider expired at once, so every guarded call asks
 * it again: what a service sees once the token it cached before the identity was deleted runs out.
 */
class IdentityLossGuardIT extends GuardScenario {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] AAD = "Patient/9/_history/1".getBytes(UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\",\"id\":\"9\"}".getBytes(UTF_8);

  private VaultIdentity identity;

  @BeforeEach
  void newIdentityAndCrypto() {
    identity = server.createUserAssignedIdentity("cmk-uami-loss-" + HexFormat.of().toHexDigits(RANDOM.nextInt()));
    vault.grant(identity, KeyPermission.GET, KeyPermission.LIST, KeyPermission.WRAP_KEY, KeyPermission.UNWRAP_KEY);
    server.setManagedIdentityTokenLifetime(Duration.ZERO);
    KeyReference key = vault.createRsaKey("loss-" + HexFormat.of().toHexDigits(RANDOM.nextInt()), 2048);
    AzureKeyVaultProvider provider =
        LoopbackFixture.providerBuilder()
            .userAssignedManagedIdentityClientId(identity.clientId())
            .retryOptions(LoopbackFixture.NO_SDK_RETRIES)
            .clock(clock)
            .build();
    newCrypto(provider, key);
  }

  @AfterEach
  void tearDown() {
    server.restoreManagedIdentity(identity);
    server.setManagedIdentityTokenLifetime(Duration.ofHours(1));
    crypto.close();
  }

  /** Refuses the identity and lets the next probe notice; returns when the guard opened. */
  private Instant refuseAndTrip(byte[] cachedEnvelope) {
    server.refuseManagedIdentity(identity, ManagedIdentityRefusal.APP_SERVICE_IDENTITY_NOT_FOUND);
    Instant tripped =
        trip(cachedEnvelope, AAD, LossCause.IDENTITY_NOT_AUTHORIZED);
    assertEquals(0, crypto.diagnostics().cachedDataKeys(), "the data keys were purged");
    assertThrows(KeyAccessSuspendedException.class, () -> crypto.encrypt(DATA, AAD));
    return tripped;
  }

  private byte[] decryptOnceProbed(byte[] envelope) {
    return decryptOnceProbed(envelope, AAD);
  }

  @Test
  void identityRefused_tripsAsIdentityNotAuthorized_purgesCachedKeys_staysDownWhileRefused() {
    byte[] envelope = crypto.encrypt(DATA, AAD);
    assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
    assertTrue(crypto.diagnostics().cachedDataKeys() > 0, "the data key is cached before the loss");
    Instant tripped = refuseAndTrip(envelope);

    clock.set(tripped.plus(Duration.ofMinutes(10)));
    KeyAccessSuspendedException still =
        assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(envelope, AAD));
    assertFalse(still.refreshRequired());
    assertEquals(LossCause.IDENTITY_NOT_AUTHORIZED, crypto.keyAccess().status().cause(),
        "a refused identity is not reclassified as an outage by later probes");
  }

  @Test
  void identityRestoredWithin30Minutes_healsOnNextProbe() {
    byte[] envelope = crypto.encrypt(DATA, AAD);
    Instant tripped = refuseAndTrip(envelope);

    clock.set(tripped.plus(Duration.ofMinutes(20)));
    server.restoreManagedIdentity(identity);
    assertArrayEquals(DATA, decryptOnceProbed(envelope));
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    assertArrayEquals(DATA, crypto.decrypt(crypto.encrypt(DATA, AAD), AAD));
  }

  @Test
  void identityRestoredAfter30Minutes_needsRefresh() {
    byte[] envelope = crypto.encrypt(DATA, AAD);
    Instant tripped = refuseAndTrip(envelope);

    clock.set(tripped.plus(Duration.ofMinutes(40)));
    server.restoreManagedIdentity(identity);
    KeyAccessSuspendedException locked =
        assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(envelope, AAD));
    assertTrue(locked.refreshRequired());
    assertEquals(KeyAccessState.REFRESH_REQUIRED, crypto.keyAccess().status().state());
    clock.advance(Duration.ofMinutes(5));
    assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(envelope, AAD),
        "no probe reopens it: only refresh() does");
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().refresh().state());
    assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
  }
}
