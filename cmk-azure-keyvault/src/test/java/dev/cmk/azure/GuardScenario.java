package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.LossCause;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;

/**
 * The base of the loss-of-access guard scenarios against the loopback vault with purge protection:
 * the guard and the provider share a {@link ManualClock} (the guard probes at most once a minute
 * by default), Key Vault calls are real.
 */
abstract class GuardScenario {
  static LoopbackKeyVault server;
  static LoopbackVault vault;

  final ManualClock clock = ManualClock.startingAt(Instant.now());
  /** The service under test; each scenario builds it. */
  EnvelopeCrypto crypto;

  @BeforeAll
  static void openProtectedVault() {
    server = LoopbackFixture.server();
    vault = server.vault(LoopbackFixture.PROTECTED_VAULT);
  }

  /**
   * Builds {@link #crypto}: the FHIR-service key policy over {@code provider}, writing under {@code
   * key}, on the scenario's clock (retries wait by advancing it).
   *
   * @return the new service, also in {@link #crypto}
   */
  final EnvelopeCrypto newCrypto(AzureKeyVaultProvider provider, KeyReference key) {
    crypto =
        EnvelopeCrypto.builder()
            .provider(provider)
            .writeKey(key.versionless())
            .keyPolicy(KeyPolicy.fhirService())
            .clock(clock)
            .sleeper(clock::advance)
            .build();
    return crypto;
  }

  /**
   * Lets the next request's probe notice a loss that was just caused: the request is refused
   * without asking for a refresh, and the guard reports {@code expected}.
   *
   * @return when the guard opened
   */
  final Instant trip(byte[] envelope, byte[] aad, LossCause expected) {
    clock.advance(Duration.ofSeconds(61));
    KeyAccessSuspendedException e =
        assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(envelope, aad));
    assertFalse(e.refreshRequired());
    assertEquals(KeyAccessState.UNAVAILABLE, crypto.keyAccess().status().state());
    assertEquals(expected, crypto.keyAccess().status().cause());
    return clock.instant();
  }

  /**
   * Decrypts, advancing 5 s between attempts while the guard waits for its next probe; every
   * refusal meanwhile must be one that needs no refresh. Fails after two minutes of refusals.
   */
  final byte[] decryptOnceProbed(byte[] envelope, byte[] aad) {
    for (int step = 0; step < 24; step++) {
      try {
        return crypto.decrypt(envelope, aad);
      } catch (KeyAccessSuspendedException waitingForProbe) {
        assertFalse(waitingForProbe.refreshRequired());
        clock.advance(Duration.ofSeconds(5));
      }
    }
    throw new AssertionError("the guard did not reopen");
  }
}
