package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.Fault;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * While the configured key is not accessible, the guard probes it with a back-off (probe back-off
 * minimum after the loss, then doubling up to the maximum), whatever the request rate; a
 * transient probe failure does not overwrite the authoritative cause of the loss, a later
 * authoritative answer does. Requests every second on a manual clock.
 */
class GuardProbeBackoffTest {
  private static final byte[] AAD = "Patient/1/1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);
  private static final Duration SECOND = Duration.ofSeconds(1);

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider vault = InMemoryKeyProvider.builder().clock(clock).build();
  private final FaultInjectingProvider faults = FaultInjectingProvider.wrapping(vault);
  private final KeyReference key = vault.manager().createKey("backoff", 2048);
  private final EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(faults)
      .writeKey(key.versionless()).clock(clock).sleeper(clock::advance).build();
  private final byte[] envelope = crypto.encrypt(DATA, AAD);

  /** Disables the key and sends a request a second until one is refused. */
  private void loseAccess() {
    vault.manager().setEnabled(key, false);
    for (int s = 0; s < 24 * 3600; s++) {
      clock.advance(SECOND);
      try {
        crypto.decrypt(envelope, AAD);
      } catch (KeyAccessSuspendedException refused) {
        return;
      }
    }
    fail("still served a day after the key was disabled");
  }

  /** Seconds between the probes (describe calls) during {@code seconds} one-second requests. */
  private List<Long> probeGaps(int seconds) {
    List<Long> gaps = new ArrayList<>();
    long last = 0;
    long describes = faults.count(Operation.DESCRIBE);
    for (int s = 1; s <= seconds; s++) {
      clock.advance(SECOND);
      assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(envelope, AAD));
      long now = faults.count(Operation.DESCRIBE);
      if (now != describes) {
        gaps.add((long) s - last);
        last = s;
        describes = now;
      }
    }
    return gaps;
  }

  @Test
  void whileUnavailable_probesBackOffFromTheMinimum_doublingToTheMaximum_notPerRequest() {
    loseAccess();
    long describes = faults.count(Operation.DESCRIBE);

    List<Long> gaps = probeGaps(300);

    assertEquals(gaps.size(), faults.count(Operation.DESCRIBE) - describes, "one call a probe");
    KeyAccessSettings s = KeyAccessSettings.DEFAULT;
    long min = s.probeBackoffMin().toSeconds();
    long max = s.probeBackoffMax().toSeconds();
    assertEquals(List.of(min, min, 2 * min, 4 * min, max, max), gaps.subList(0, 6));
    assertTrue(gaps.subList(4, gaps.size()).stream().allMatch(g -> g == max), gaps::toString);
  }

  @Test
  void transientProbeFailures_keepTheAuthoritativeCause_aLaterAuthoritativeAnswerReplacesIt() {
    loseAccess();
    assertEquals(LossCause.KEY_DISABLED, crypto.keyAccess().status().cause());
    faults.setFault(Operation.DESCRIBE, Fault.transientFailure());

    probeGaps(60);

    assertEquals(LossCause.KEY_DISABLED, crypto.keyAccess().status().cause(),
        "a timeout says nothing new about the key");
    faults.clearFaults();
    vault.manager().deleteKey(key);
    probeGaps(60);
    assertEquals(LossCause.KEY_NOT_FOUND, crypto.keyAccess().status().cause());
  }
}
