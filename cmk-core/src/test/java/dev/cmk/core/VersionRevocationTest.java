package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Revocation of key versions other than the configured write version: every version of a
 * decrypt-only instance, and older versions of a writing one. Requests every second on a manual
 * clock; P = probe interval (1 minute).
 */
class VersionRevocationTest {
  private static final byte[] AAD = "Patient/1/1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);
  private static final Duration P = KeyAccessSettings.DEFAULT.probeInterval();
  /** When a confirmation is renewed: P less the one-second call spacing the bounds assume. */
  private static final Duration RENEW = KeyAccessSettings.DEFAULT.reconfirmAfter();
  private static final Duration ONE_SECOND = Duration.ofSeconds(1);

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
  private final FaultInjectingProvider faults = FaultInjectingProvider.wrapping(provider);
  private final List<KeyAccessEvent> events = new CopyOnWriteArrayList<>();

  private EnvelopeCrypto writer(KeyReference key) {
    return EnvelopeCrypto.builder().provider(faults).writeKey(key).clock(clock)
        .sleeper(clock::advance).listener(events::add).build();
  }

  private EnvelopeCrypto reader() {
    return EnvelopeCrypto.builder().provider(faults).clock(clock).sleeper(clock::advance)
        .listener(events::add).build();
  }

  /** Decrypts every second until refused; returns when the first refusal happened. */
  private static Instant firstRefusal(EnvelopeCrypto crypto, byte[] envelope, ManualClock clock,
      Duration limit) {
    Instant end = clock.instant().plus(limit);
    while (clock.instant().isBefore(end)) {
      try {
        assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
      } catch (KeyProviderException refused) {
        return clock.instant();
      }
      clock.advance(ONE_SECOND);
    }
    throw new AssertionError("still decrypting " + limit + " later");
  }

  /**
   * After a re-enable: reads every second until the envelope decrypts, which must happen within
   * probeBackoffMax (30 s), without a refresh.
   */
  private void assertReadableAgainWithin30s(EnvelopeCrypto crypto, byte[] envelope) {
    Instant enabled = clock.instant();
    byte[] back = null;
    while (back == null) {
      clock.advance(ONE_SECOND);
      try {
        back = crypto.decrypt(envelope, AAD);
      } catch (KeyAccessDeniedException stillWaitingForRecheck) {
        assertTrue(clock.instant().isBefore(enabled.plus(Duration.ofSeconds(31))),
            "re-enabled version readable again within probeBackoffMax, without refresh");
      }
    }
    assertArrayEquals(DATA, back);
  }

  @ParameterizedTest(name = "disabled {0} s after the last confirmation")
  @ValueSource(ints = {0, 30, 59})
  void decryptOnlyInstance_disabledVersion_refusedWithinOneProbeInterval(int offsetSeconds) {
    KeyReference v1 = provider.manager().createKey("ro-" + offsetSeconds, 2048);
    byte[] envelope = writer(v1.versionless()).encrypt(DATA, AAD);
    EnvelopeCrypto reader = reader();
    assertArrayEquals(DATA, reader.decrypt(envelope, AAD)); // unwrapped: confirmed now
    Instant confirmed = clock.instant();
    clock.advance(Duration.ofSeconds(offsetSeconds));
    for (int i = 0; i < offsetSeconds; i++) {
      reader.decrypt(envelope, AAD);
    }
    provider.manager().setEnabled(v1, false);
    Instant disabled = clock.instant();

    Instant refused = firstRefusal(reader, envelope, clock, Duration.ofMinutes(5));

    assertTrue(!refused.isAfter(disabled.plus(P)), "refused within P of the disable: " + refused);
    assertTrue(!refused.isBefore(confirmed.plus(RENEW)),
        "the cached key served until its confirmation was due for renewal");
    assertEquals(0, reader.diagnostics().cachedDataKeys(), "the version's cached data keys were destroyed");
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> reader.decrypt(envelope, AAD));
    assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, e.reason());
  }

  @Test
  void decryptOnlyInstance_cachedVersion_reconfirmedAtMostOncePerProbeInterval() {
    KeyReference v1 = provider.manager().createKey("ro-rate", 2048);
    byte[] envelope = writer(v1.versionless()).encrypt(DATA, AAD);
    EnvelopeCrypto reader = reader();
    reader.decrypt(envelope, AAD);
    long calls = faults.describeCount() + faults.unwrapCount();
    for (int second = 0; second < 600; second++) { // ten probe intervals, 20 reads a second
      for (int i = 0; i < 20; i++) {
        reader.decrypt(envelope, AAD);
      }
      clock.advance(ONE_SECOND);
    }
    calls = faults.describeCount() + faults.unwrapCount() - calls;
    // Each re-confirmation unwraps the version's known-good sample (proving the identity may still
    // unwrap); 600 s / 59 s per renewal.
    assertTrue(calls >= 9 && calls <= 11, "one call per interval, not per request: " + calls);
  }

  @Test
  void decryptOnlyInstance_reenabledVersion_readableAgainWithoutRefresh() {
    KeyReference v1 = provider.manager().createKey("ro-back", 2048);
    byte[] envelope = writer(v1.versionless()).encrypt(DATA, AAD);
    EnvelopeCrypto reader = reader();
    reader.decrypt(envelope, AAD);
    provider.manager().setEnabled(v1, false);
    firstRefusal(reader, envelope, clock, Duration.ofMinutes(2));
    long calls = faults.describeCount() + faults.unwrapCount();
    for (int i = 0; i < 100; i++) {
      assertThrows(KeyAccessDeniedException.class, () -> reader.decrypt(envelope, AAD));
    }
    assertEquals(calls, faults.describeCount() + faults.unwrapCount(),
        "a known-unusable version fails fast, without provider calls");

    provider.manager().setEnabled(v1, true);
    assertReadableAgainWithin30s(reader, envelope);
  }

  @Test
  void deletedVersion_onDecryptOnlyInstance_refusedAsNotFound() {
    KeyReference v1 = provider.manager().createKey("ro-deleted", 2048);
    byte[] envelope = writer(v1.versionless()).encrypt(DATA, AAD);
    EnvelopeCrypto reader = reader();
    reader.decrypt(envelope, AAD);
    provider.manager().deleteKey(v1.versionless());
    Instant deleted = clock.instant();
    Instant refused = firstRefusal(reader, envelope, clock, Duration.ofMinutes(5));
    assertTrue(!refused.isAfter(deleted.plus(P)));
    assertThrows(KeyNotFoundException.class, () -> reader.decrypt(envelope, AAD));
  }

  @ParameterizedTest(name = "disabled {0} s after the old version was last confirmed")
  @ValueSource(ints = {0, 30, 59})
  void olderVersionDisabled_onlyItsEnvelopesRefused_withinOneProbeInterval(int offsetSeconds) {
    KeyReference v1 = provider.manager().createKey("old-" + offsetSeconds, 2048);
    EnvelopeCrypto crypto = writer(v1.versionless());
    byte[] old = crypto.encrypt(DATA, AAD);
    KeyReference v2 = provider.manager().rotateKey(v1);
    clock.advance(P); // the guard picks up v2 on its next probe
    byte[] fresh = crypto.encrypt(DATA, AAD);
    assertEquals(v2, EnvelopeInfo.of(fresh).keyReference());
    assertArrayEquals(DATA, crypto.decrypt(old, AAD)); // v1 re-confirmed now (stale)
    Instant confirmed = clock.instant();
    clock.advance(Duration.ofSeconds(offsetSeconds));
    provider.manager().setEnabled(v1, false);
    Instant disabled = clock.instant();

    Instant refused = null;
    while (refused == null) {
      assertArrayEquals(DATA, crypto.decrypt(fresh, AAD), "the current version keeps working");
      try {
        crypto.decrypt(old, AAD);
        clock.advance(ONE_SECOND);
      } catch (KeyAccessDeniedException e) {
        refused = clock.instant();
      }
    }
    assertTrue(!refused.isAfter(disabled.plus(P)), "refused within P of the disable");
    assertTrue(!refused.isBefore(confirmed.plus(RENEW)));
    assertEquals(1, crypto.diagnostics().cachedDataKeys(), "only the old version's data key was destroyed");
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    assertArrayEquals(DATA, crypto.decrypt(crypto.encrypt(DATA, AAD), AAD), "writes go on");
    KeyAccessEvent.VersionUnavailable warning = events.stream()
        .filter(KeyAccessEvent.VersionUnavailable.class::isInstance)
        .map(KeyAccessEvent.VersionUnavailable.class::cast).findFirst().orElse(null);
    assertNotNull(warning, "a recently used version that became unusable is reported");
    assertEquals(v1, warning.version());
    assertEquals(LossCause.KEY_DISABLED, warning.cause());

    provider.manager().setEnabled(v1, true);
    assertReadableAgainWithin30s(crypto, old);
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
  }

  @Test
  void olderVersionDisabled_noticedByTheProbe_evenWithoutReadsOfIt() {
    KeyReference v1 = provider.manager().createKey("old-probe", 2048);
    EnvelopeCrypto crypto = writer(v1.versionless());
    byte[] old = crypto.encrypt(DATA, AAD);
    provider.manager().rotateKey(v1);
    clock.advance(P);
    byte[] fresh = crypto.encrypt(DATA, AAD);
    crypto.decrypt(old, AAD);
    assertEquals(2, crypto.diagnostics().cachedDataKeys());
    provider.manager().setEnabled(v1, false);
    for (int i = 0; i <= P.toSeconds(); i++) { // only the current version is read
      crypto.decrypt(fresh, AAD);
      clock.advance(ONE_SECOND);
    }
    crypto.decrypt(fresh, AAD);
    assertEquals(1, crypto.diagnostics().cachedDataKeys(),
        "the guard's probe found the recently used old version disabled and destroyed its keys");
    long calls = faults.unwrapCount() + faults.describeCount();
    assertThrows(KeyAccessDeniedException.class, () -> crypto.decrypt(old, AAD));
    assertEquals(calls, faults.unwrapCount() + faults.describeCount());
  }
}
