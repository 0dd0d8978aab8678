package dev.cmk.azure;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyConfiguration;
import dev.cmk.core.KeyPolicy;
import dev.cmk.core.LossCause;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.RecordedRequest;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * cmk-core's loss-of-access guard driven by this provider against the loopback Key Vault:
 * identity revoked or changed, short throttling and 5xx bursts (a disabled key, within and after
 * the grace period: {@link AzureLossOfAccessIT}, the testkit's contract). The guard and
 * the provider share a manual clock; Key Vault calls are real.
 */
class KeyAccessGuardIT extends GuardScenario {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] AAD = "Patient/7/_history/1".getBytes(UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\",\"id\":\"7\"}".getBytes(UTF_8);

  @AfterEach
  void tearDown() {
    vault.faults().clear();
    if (crypto != null) {
      crypto.close();
    }
  }

  private static VaultIdentity identity(String prefix) {
    VaultIdentity id = server.createApplication(prefix + "-" + HexFormat.of().toHexDigits(RANDOM.nextInt()));
    vault.grant(id, KeyPermission.GET, KeyPermission.LIST, KeyPermission.WRAP_KEY, KeyPermission.UNWRAP_KEY);
    return id;
  }

  private AzureKeyVaultProvider provider(VaultIdentity identity) {
    return LoopbackFixture.providerBuilder()
        .credential(LoopbackFixture.staticCredential(identity))
        .retryOptions(LoopbackFixture.NO_SDK_RETRIES)
        .clock(clock)
        .build();
  }

  private static KeyReference newKey() {
    return vault.createRsaKey("guard-" + HexFormat.of().toHexDigits(RANDOM.nextInt()), 2048);
  }

  private EnvelopeCrypto crypto(AzureKeyVaultProvider provider, KeyReference key) {
    return newCrypto(provider, key);
  }

  /** Lets the next request's probe notice the loss; returns when the guard opened. */
  private Instant trip(byte[] envelope, LossCause expected) {
    return trip(envelope, AAD, expected);
  }

  private byte[] decryptOnceProbed(byte[] envelope) {
    return decryptOnceProbed(envelope, AAD);
  }

  @Test
  void identityLosesPermission_tripsAsIdentityNotAuthorized() {
    KeyReference key = newKey();
    VaultIdentity identity = identity("guard-revoked");
    crypto(provider(identity), key);
    byte[] envelope = crypto.encrypt(DATA, AAD);
    vault.revokeAll(identity);
    trip(envelope, LossCause.IDENTITY_NOT_AUTHORIZED);
  }

  @Test
  void identityChange_takesEffectOnRefresh() {
    KeyReference key = newKey();
    VaultIdentity first = identity("guard-first");
    VaultIdentity second = identity("guard-second");
    AtomicReference<KeyConfiguration> configuration =
        new AtomicReference<>(new KeyConfiguration(provider(first), key.versionless()));
    crypto =
        EnvelopeCrypto.builder()
            .keyConfiguration(configuration::get)
            .keyPolicy(KeyPolicy.fhirService())
            .clock(clock)
            .sleeper(clock::advance)
            .build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    vault.revokeAll(first);
    trip(envelope, LossCause.IDENTITY_NOT_AUTHORIZED);

    configuration.set(new KeyConfiguration(provider(second), key.versionless()));
    vault.clearRequests();
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().refresh().state());
    assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
    assertTrue(
        vault.requests().stream()
            .filter(RecordedRequest::authenticated)
            .allMatch(r -> second.name().equals(r.identity())),
        "after refresh every call uses the new identity: " + vault.requests());
  }

  @ParameterizedTest(name = "HTTP {0}")
  @ValueSource(ints = {429, 503})
  void shortThrottlingOrServerErrorBurst_isTransient_noTrip(int status) {
    KeyReference key = newKey();
    crypto(provider(identity("guard-transient")), key);
    byte[] envelope = crypto.encrypt(DATA, AAD);
    clock.advance(Duration.ofSeconds(61));
    vault.clearRequests();
    if (status == 429) {
      vault.faults().throttleNext(2);
    } else {
      vault.faults().failNext(2, 503);
    }
    assertArrayEquals(DATA, crypto.decrypt(envelope, AAD), "the guard's retries ride out the burst");
    assertEquals(2, vault.requests().stream().filter(r -> r.status() == status).count(), "the burst happened");
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    assertEquals(LossCause.NONE, crypto.keyAccess().status().cause());
  }
}
