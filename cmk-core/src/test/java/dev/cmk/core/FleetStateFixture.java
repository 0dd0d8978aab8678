package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/**
 * The common fixture of the fleet-state tests: one in-memory key {@code fleet} on a {@link
 * ManualClock}, the default probe interval {@link #P} and grace period {@link #G}, and request
 * traffic: replicas get one request a second, and a scenario waits (in clock time, never in real
 * time) until a replica refuses or serves again. Each test's replica decides what "served" means.
 */
abstract class FleetStateFixture {
  static final byte[] AAD = "Patient/1/1".getBytes(StandardCharsets.UTF_8);
  static final byte[] DATA = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);
  static final Duration P = KeyAccessSettings.DEFAULT.probeInterval();
  static final Duration G = KeyAccessSettings.DEFAULT.gracePeriod();
  static final Duration SECOND = Duration.ofSeconds(1);
  private static final int LIMIT_SECONDS = 3600;

  final ManualClock clock = ManualClock.create();
  final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
  final KeyReference key = provider.manager().createKey("fleet", 2048);

  /** One instance of the service under test. */
  interface Target {
    /**
     * Sends one request.
     *
     * @return true if it was served, false if it was refused as the loss-of-access guard refuses
     */
    boolean serves();
  }

  /**
   * One request to {@code crypto}: true if it answered {@link #DATA}, false if the guard refused it
   * with the suspension error; any other outcome fails the test.
   */
  static boolean served(EnvelopeCrypto crypto, byte[] envelope) {
    try {
      assertArrayEquals(DATA, crypto.decrypt(envelope, AAD));
      return true;
    } catch (KeyAccessSuspendedException e) {
      return false;
    } catch (RuntimeException e) {
      return fail("a request got " + e + " instead of an answer or the suspension error", e);
    }
  }

  /** Every second until {@code d} has passed: each target gets a request. */
  final void serveEverySecondFor(Duration d, Target... targets) {
    Instant until = clock.instant().plus(d);
    while (clock.instant().isBefore(until)) {
      clock.advance(SECOND);
      for (Target t : targets) {
        t.serves();
      }
    }
  }

  /** Requests every second to {@code t} until it refuses (at most an hour); returns when. */
  final Instant untilRefused(Target t) {
    for (int i = 0; i < LIMIT_SECONDS; i++) {
      if (!t.serves()) {
        return clock.instant();
      }
      clock.advance(SECOND);
    }
    throw new AssertionError("never refused");
  }

  /** A second later, then every second, a request to {@code t} until it is served; returns when. */
  final Instant untilServed(Target t) {
    for (int i = 0; i < LIMIT_SECONDS; i++) {
      clock.advance(SECOND);
      if (t.serves()) {
        return clock.instant();
      }
    }
    throw new AssertionError("never served");
  }
}
