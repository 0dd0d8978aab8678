package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.Fault;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * How a decrypt-only instance re-checks a key version it has cached data keys for, when the
 * answers are not a plain "enabled" or "disabled": transient failures of the re-check, and an
 * envelope of a watched version that the provider refuses. The version's own known-good sample
 * decides, never one envelope. Requests every second on a manual clock.
 */
class VersionRecheckTest {
  private static final byte[] AAD = "Patient/1/1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);
  private static final KeyAccessSettings S = KeyAccessSettings.DEFAULT;
  private static final Duration ONE_SECOND = Duration.ofSeconds(1);

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider vault = InMemoryKeyProvider.builder().clock(clock).build();
  private final FaultInjectingProvider faults = FaultInjectingProvider.wrapping(vault);
  private final List<KeyAccessEvent> events = new CopyOnWriteArrayList<>();
  private final KeyReference v1 = vault.manager().createKey("recheck", 2048);
  private final EnvelopeCrypto reader = EnvelopeCrypto.builder().provider(faults).clock(clock)
      .sleeper(clock::advance).listener(events::add).build();

  /** An envelope with a data key of its own (a new writer instance each time). */
  private byte[] envelopeUnderV1() {
    return EnvelopeCrypto.builder().provider(vault).writeKey(v1.versionless()).clock(clock).build()
        .encrypt(DATA, AAD);
  }

  @Test
  void transientRecheckFailures_cachedKeysServeUntilProbeIntervalPlusThreshold_thenRefused() {
    byte[] envelope = envelopeUnderV1();
    assertArrayEquals(DATA, reader.decrypt(envelope, AAD)); // v1 confirmed now
    Instant confirmed = clock.instant();
    Instant limit = confirmed.plus(S.probeInterval()).plus(S.transientTripThreshold());
    faults.setFault(Operation.UNWRAP, Fault.transientFailure());
    faults.resetCounters();

    KeyProviderException refused = null;
    while (refused == null) {
      clock.advance(ONE_SECOND);
      try {
        assertArrayEquals(DATA, reader.decrypt(envelope, AAD));
        assertTrue(clock.instant().isBefore(limit), "served past the limit at " + clock.instant());
      } catch (KeyProviderException e) {
        refused = e;
      }
    }

    assertTrue(!clock.instant().isBefore(limit) && clock.instant().isBefore(limit.plus(ONE_SECOND)),
        "refused from the first request at the limit: " + clock.instant() + ", limit " + limit);
    assertTrue(refused instanceof KeyProviderUnavailableException, refused::toString);
    long rechecks = faults.count(Operation.UNWRAP);
    long window = Duration.between(confirmed.plus(S.reconfirmAfter()), limit).toSeconds();
    long attemptsPerRecheck = 1 + S.maxRetries();
    assertTrue(rechecks >= attemptsPerRecheck
            && rechecks <= attemptsPerRecheck * (window / S.probeBackoffMin().toSeconds() + 1),
        "re-checks spaced by the probe back-off, not one per request: " + rechecks);
    assertTrue(events.stream().noneMatch(KeyAccessEvent.VersionUnavailable.class::isInstance),
        "a transient failure is not a finding that the version is unusable");
  }

  @Test
  void transientRecheckFailures_providerBack_readsServeAgainWithoutRefresh() {
    byte[] envelope = envelopeUnderV1();
    reader.decrypt(envelope, AAD);
    faults.setFault(Operation.UNWRAP, Fault.transientFailure());
    clock.advance(S.probeInterval().plus(S.transientTripThreshold()));
    assertThrows(KeyProviderUnavailableException.class, () -> reader.decrypt(envelope, AAD));
    faults.clearFaults();
    Instant back = clock.instant();

    byte[] served = null;
    while (served == null) {
      clock.advance(ONE_SECOND);
      assertTrue(!clock.instant().isAfter(back.plus(S.probeBackoffMin()).plus(ONE_SECOND)),
          "served again within one probe back-off");
      try {
        served = reader.decrypt(envelope, AAD);
      } catch (KeyProviderUnavailableException waitingForTheNextRecheck) {
        // the re-check after a failure waits out its back-off
      }
    }
    assertArrayEquals(DATA, served);
  }

  @Test
  void refusedEnvelopeOfAWatchedVersion_sampleStillUnwraps_versionStaysUsable() {
    byte[] known = envelopeUnderV1();
    byte[] other = envelopeUnderV1();
    reader.decrypt(known, AAD);
    clock.advance(Duration.ofSeconds(6)); // past the 5 s spacing of suspicion re-checks
    faults.failNext(Operation.UNWRAP, 1, Fault.denied());
    faults.resetCounters();

    assertThrows(KeyAccessDeniedException.class, () -> reader.decrypt(other, AAD));

    assertEquals(2, faults.count(Operation.UNWRAP), "the envelope, then v1's own sample");
    assertArrayEquals(DATA, reader.decrypt(known, AAD), "v1's cached key still serves");
    assertEquals(1, reader.diagnostics().cachedDataKeys());
    assertThrows(KeyAccessDeniedException.class, () -> reader.decrypt(other, AAD));
    assertEquals(2, faults.count(Operation.UNWRAP), "the refused envelope is not asked again yet");
    clock.advance(S.probeBackoffMin());
    assertArrayEquals(DATA, reader.decrypt(other, AAD), "asked again after the back-off");
  }

  @Test
  void refusedEnvelopeOfAWatchedVersion_sampleRefusedToo_versionUnusable_cachedKeysDestroyed() {
    byte[] known = envelopeUnderV1();
    byte[] other = envelopeUnderV1();
    reader.decrypt(known, AAD);
    clock.advance(Duration.ofSeconds(6));
    faults.setFault(Operation.UNWRAP, Fault.denied(KeyAccessDeniedException.Reason.KEY_DISABLED));

    assertThrows(KeyAccessDeniedException.class, () -> reader.decrypt(other, AAD));

    assertEquals(0, reader.diagnostics().cachedDataKeys(), "v1's cached data keys destroyed");
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> reader.decrypt(known, AAD));
    assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, e.reason());
    assertTrue(events.stream().anyMatch(ev -> ev instanceof KeyAccessEvent.VersionUnavailable u
        && u.version().equals(v1) && u.cause() == LossCause.KEY_DISABLED), events::toString);
  }

  @Test
  void refusedEnvelopeOfAVersionConfirmedMomentsAgo_noSampleRecheck() {
    byte[] known = envelopeUnderV1();
    byte[] other = envelopeUnderV1();
    reader.decrypt(known, AAD);
    clock.advance(ONE_SECOND);
    faults.failNext(Operation.UNWRAP, 1, Fault.denied());
    faults.resetCounters();

    assertThrows(KeyAccessDeniedException.class, () -> reader.decrypt(other, AAD));

    assertEquals(1, faults.count(Operation.UNWRAP), "only the envelope's own unwrap");
    assertArrayEquals(DATA, reader.decrypt(known, AAD));
  }

  @Test
  void versionRefusedRepeatedly_recheckBackOffDoubles_upToTheMaximum() {
    byte[] envelope = envelopeUnderV1();
    reader.decrypt(envelope, AAD);
    vault.manager().setEnabled(v1, false);
    clock.advance(S.reconfirmAfter());
    assertThrows(KeyAccessDeniedException.class, () -> reader.decrypt(envelope, AAD));
    faults.resetCounters();

    // Requests every second for ten minutes: the re-checks come after 5, 10, 20, 30, 30 ... s.
    for (int i = 0; i < 600; i++) {
      clock.advance(ONE_SECOND);
      assertThrows(KeyAccessDeniedException.class, () -> reader.decrypt(envelope, AAD));
    }

    long rechecks = faults.count(Operation.UNWRAP);
    long expected = 3 + (600 - 5 - 10 - 20) / S.probeBackoffMax().toSeconds();
    assertTrue(Math.abs(rechecks - expected) <= 1,
        "back-off 5, 10, 20 s then 30 s: " + rechecks + " re-checks, expected about " + expected);
  }

  @Test
  void refusedEnvelope_requestedEverySecond_isAskedAgainAfterEachBackOff_notPushedOutByRepeats() {
    byte[] known = envelopeUnderV1();
    byte[] other = envelopeUnderV1();
    reader.decrypt(known, AAD);
    faults.setFault(Operation.UNWRAP, Fault.denied().onlyFor(v1));
    Instant firstRefusal = clock.instant();
    assertThrows(KeyAccessDeniedException.class, () -> reader.decrypt(other, AAD));
    faults.clearFaults();

    byte[] served = null;
    while (served == null) {
      clock.advance(ONE_SECOND);
      try {
        served = reader.decrypt(other, AAD);
      } catch (KeyAccessDeniedException withinTheBackOff) {
        assertTrue(clock.instant().isBefore(firstRefusal.plus(S.probeBackoffMin())),
            "a refusal's repeats must not push its back-off out: " + withinTheBackOff);
      }
    }
    assertArrayEquals(DATA, served);
  }
}
