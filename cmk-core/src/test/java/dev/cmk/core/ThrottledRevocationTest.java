package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.CmkException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.Fault;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Throttling cannot postpone revocation: while the provider answers every call with "throttled,
 * retry after 6 hours", a revoked key is still refused within probe interval + transient trip
 * threshold (P + T = 3 minutes by default) of the revocation, for the configured key and for the
 * versions a decrypt-only instance has cached.
 */
class ThrottledRevocationTest {
  private static final byte[] AAD = "Patient/1/1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);
  private static final KeyAccessSettings S = KeyAccessSettings.DEFAULT;
  private static final Duration BOUND = S.probeInterval().plus(S.transientTripThreshold());
  private static final Fault SIX_HOURS = Fault.transientFailure(Duration.ofHours(6));

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
  private final FaultInjectingProvider faults = FaultInjectingProvider.wrapping(provider);

  private void throttleEverything() {
    for (Operation op : Operation.values()) {
      faults.setFault(op, SIX_HOURS);
    }
  }

  /** Reads every second until one is refused; returns when. */
  private Instant firstRefusal(EnvelopeCrypto crypto, byte[] envelope) {
    Instant end = clock.instant().plus(Duration.ofHours(1));
    while (clock.instant().isBefore(end)) {
      try {
        assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
      } catch (CmkException refused) {
        return clock.instant();
      }
      clock.advance(Duration.ofSeconds(1));
    }
    throw new AssertionError("still serving an hour after the revocation");
  }

  @Test
  void configuredKey_revokedWhileThrottled_refusedWithinProbeIntervalPlusThreshold() {
    KeyReference v1 = provider.manager().createKey("throttled", 2048);
    EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(faults)
        .writeKey(v1.versionless()).clock(clock).sleeper(clock::advance).build();
    byte[] envelope = crypto.encrypt(DATA, AAD);
    provider.manager().setEnabled(v1, false);
    throttleEverything();
    Instant revoked = clock.instant();
    long describes = faults.describeCount();

    Instant refused = firstRefusal(crypto, envelope);

    assertFalse(refused.isAfter(revoked.plus(BOUND)), "refused at +"
        + Duration.between(revoked, refused));
    assertEquals(KeyAccessState.UNAVAILABLE, crypto.keyAccess().status().state());
    assertEquals(LossCause.PROVIDER_UNAVAILABLE, crypto.keyAccess().status().cause());
    assertTrue(faults.describeCount() - describes >= 3,
        "probes kept running at most probeBackoffMax apart despite Retry-After: 6 h");
  }

  @Test
  void decryptOnlyInstance_revokedWhileThrottled_refusedWithinProbeIntervalPlusThreshold() {
    KeyReference v1 = provider.manager().createKey("throttled-ro", 2048);
    byte[] envelope = EnvelopeCrypto.builder().provider(faults).writeKey(v1).clock(clock)
        .build().encrypt(DATA, AAD);
    EnvelopeCrypto reader = EnvelopeCrypto.builder().provider(faults).clock(clock)
        .sleeper(clock::advance).build();
    reader.decrypt(envelope, AAD);
    provider.manager().setEnabled(v1, false);
    throttleEverything();
    Instant revoked = clock.instant();

    Instant refused = firstRefusal(reader, envelope);

    assertFalse(refused.isAfter(revoked.plus(BOUND)), "refused at +"
        + Duration.between(revoked, refused));
  }
}
