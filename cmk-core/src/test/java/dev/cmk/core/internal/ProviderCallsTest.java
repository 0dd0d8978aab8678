package dev.cmk.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.core.CryptoObserver;
import dev.cmk.core.KekOperation;
import dev.cmk.core.KekOutcome;
import dev.cmk.core.KeyAccessSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The retry rule of every provider call: transient failures retried with doubling delays capped at
 * the maximum, a provider's Retry-After waited for only when it fits in the call, authoritative
 * failures never retried; the probe delay after a failure never beyond the probe back-off maximum;
 * every attempt observed with its outcome and duration. The sleeper records instead of sleeping.
 */
class ProviderCallsTest {
  private static final Duration MS_200 = Duration.ofMillis(200);
  private static final Duration S_2 = Duration.ofSeconds(2);

  private final List<Duration> sleeps = new ArrayList<>();
  private final List<String> observed = new ArrayList<>();

  @AfterEach
  void clearInterrupt() {
    Thread.interrupted();
  }

  private ProviderCalls calls(KeyAccessSettings settings, CryptoObserver observer) {
    return new ProviderCalls(settings, sleeps::add, SafeObserver.of(observer));
  }

  private ProviderCalls calls(int maxRetries, Duration base, Duration max) {
    return calls(KeyAccessSettings.DEFAULT.withRetries(maxRetries, base, max), CryptoObserver.noop());
  }

  private static KeyProviderUnavailableException unavailable(Duration retryAfter) {
    return new KeyProviderUnavailableException("busy", null, retryAfter, null);
  }

  /** Fails {@code failures} times with {@code failure}, then answers "ok". */
  private static Supplier<String> failing(int failures, Supplier<RuntimeException> failure,
      AtomicInteger attempts) {
    return () -> {
      if (attempts.incrementAndGet() <= failures) {
        throw failure.get();
      }
      return "ok";
    };
  }

  @Test
  void transientFailures_retriedWithDoublingDelays_thenTheLastFailurePropagates() {
    AtomicInteger attempts = new AtomicInteger();
    KeyProviderUnavailableException last = unavailable(null);
    ProviderCalls calls = calls(3, MS_200, S_2);

    assertSame(last, assertThrows(KeyProviderUnavailableException.class,
        () -> calls.call("p", KekOperation.UNWRAP, failing(4,
            () -> attempts.get() == 4 ? last : unavailable(null), attempts))));

    assertEquals(4, attempts.get());
    assertEquals(List.of(MS_200, Duration.ofMillis(400), Duration.ofMillis(800)), sleeps);
  }

  @Test
  void transientFailure_thenSuccess_returnsTheAnswer() {
    AtomicInteger attempts = new AtomicInteger();

    assertEquals("ok", calls(2, MS_200, S_2).call("p", KekOperation.WRAP,
        failing(2, () -> unavailable(null), attempts)));

    assertEquals(3, attempts.get());
    assertEquals(List.of(MS_200, Duration.ofMillis(400)), sleeps);
  }

  @Test
  void retryDelays_cappedAtTheMaximum() {
    AtomicInteger attempts = new AtomicInteger();

    calls(4, Duration.ofMillis(600), Duration.ofSeconds(1)).call("p", KekOperation.WRAP,
        failing(4, () -> unavailable(null), attempts));

    Duration max = Duration.ofSeconds(1);
    assertEquals(List.of(Duration.ofMillis(600), max, max, max), sleeps);
  }

  @Test
  void retryAfter_upToTheMaximumDelay_isWaitedFor_longerIsNotWaitedInsideTheCall() {
    AtomicInteger attempts = new AtomicInteger();
    assertEquals("ok", calls(2, MS_200, S_2).call("p", KekOperation.UNWRAP,
        failing(1, () -> unavailable(S_2), attempts)));
    assertEquals(List.of(S_2), sleeps, "a Retry-After equal to the maximum is waited for");

    sleeps.clear();
    attempts.set(0);
    Duration tooLong = S_2.plusMillis(1);
    assertThrows(KeyProviderUnavailableException.class, () -> calls(2, MS_200, S_2)
        .call("p", KekOperation.UNWRAP, failing(1, () -> unavailable(tooLong), attempts)));
    assertEquals(1, attempts.get());
    assertEquals(List.of(), sleeps, "longer than the maximum: to the guard, not slept here");
  }

  @Test
  void authoritativeFailure_neverRetried() {
    AtomicInteger attempts = new AtomicInteger();

    assertThrows(KeyAccessDeniedException.class, () -> calls(3, MS_200, S_2).call("p",
        KekOperation.UNWRAP, failing(1, () -> new KeyAccessDeniedException("no",
            KeyAccessDeniedException.Reason.KEY_DISABLED, null), attempts)));

    assertEquals(1, attempts.get());
    assertEquals(List.of(), sleeps);
  }

  @Test
  void interruptedWhileWaiting_stopsRetrying_keepsTheInterrupt_throwsTheFailure() {
    AtomicInteger attempts = new AtomicInteger();
    KeyProviderUnavailableException failure = unavailable(null);
    ProviderCalls calls = new ProviderCalls(KeyAccessSettings.DEFAULT, d -> {
      throw new InterruptedException();
    }, null);

    assertSame(failure, assertThrows(KeyProviderUnavailableException.class,
        () -> calls.call("p", KekOperation.WRAP, failing(5, () -> failure, attempts))));

    assertEquals(1, attempts.get());
    assertTrue(Thread.currentThread().isInterrupted());
  }

  @Test
  void nextProbeDelay_retryAfterOrFallback_neverBeyondTheProbeBackOffMaximum() {
    ProviderCalls calls = calls(2, MS_200, S_2);
    Duration max = KeyAccessSettings.DEFAULT.probeBackoffMax();
    Duration fallback = Duration.ofSeconds(5);

    assertEquals(Duration.ofSeconds(7), calls.nextProbeDelay(unavailable(Duration.ofSeconds(7)), fallback));
    assertEquals(fallback, calls.nextProbeDelay(unavailable(null), fallback));
    assertEquals(fallback, calls.nextProbeDelay(new IllegalStateException(), fallback));
    assertEquals(max, calls.nextProbeDelay(unavailable(max), fallback));
    assertEquals(max, calls.nextProbeDelay(unavailable(max.plusSeconds(1)), fallback));
    assertEquals(max, calls.nextProbeDelay(unavailable(null), max.plusSeconds(1)));
  }

  @Test
  void everyAttempt_observedWithItsOutcomeAndAPlausibleDuration() {
    List<Long> nanos = new ArrayList<>();
    CryptoObserver observer = new CryptoObserver() {
      @Override
      public void kekCall(String providerId, KekOperation op, KekOutcome outcome, long durationNanos) {
        observed.add(providerId + " " + op + " " + outcome);
        nanos.add(durationNanos);
      }
    };
    AtomicInteger attempts = new AtomicInteger();

    calls(KeyAccessSettings.DEFAULT, observer).call("vault", KekOperation.UNWRAP,
        failing(1, () -> unavailable(null), attempts));

    assertEquals(List.of("vault UNWRAP UNAVAILABLE", "vault UNWRAP SUCCESS"), observed);
    for (long n : nanos) {
      assertTrue(n >= 0 && n < TimeUnit.SECONDS.toNanos(10), "duration of one attempt: " + n);
    }
  }
}
