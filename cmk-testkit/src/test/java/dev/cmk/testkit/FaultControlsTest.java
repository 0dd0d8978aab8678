package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Counters, latency and fault injection of {@link FaultControls}, on a {@link
 * FaultInjectingProvider} around an in-memory provider (the one implementation in the kit; the
 * in-memory provider itself no longer carries the controls).
 */
class FaultControlsTest {

  private static KeyPair keyPair;

  /** The provider under test, around an in-memory provider holding one usable key version. */
  private FaultInjectingProvider provider;

  private KeyReference version;

  @BeforeAll
  static void generate() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    keyPair = g.generateKeyPair();
  }

  @BeforeEach
  void setUp() {
    InMemoryKeyProvider backend = InMemoryKeyProvider.create();
    version = backend.keyManager().orElseThrow().importKey("k", keyPair);
    provider = FaultInjectingProvider.wrapping(backend);
  }

  private static SecretBytes dataKey() {
    return SecretBytes.copyOf(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  }

  @Test
  void counters_eachOperation_countsCallsIncludingFailedOnes() {
    KeyEncryptionKeyProvider p = provider;
    p.describe(version.versionless());
    p.resolveLatest(version);
    WrappedKey w = p.wrap(version, dataKey());
    p.unwrap(w);
    p.unwrap(w);
    p.publicKey(version);
    provider.setFault(Operation.UNWRAP, Fault.transientFailure());
    assertThrows(KeyProviderUnavailableException.class, () -> p.unwrap(w));
    assertEquals(2, provider.describeCount());
    assertEquals(1, provider.wrapCount());
    assertEquals(3, provider.unwrapCount());
    assertEquals(1, provider.publicKeyCount());
    assertEquals(3, provider.count(Operation.UNWRAP));
  }

  @Test
  void counters_programmingErrors_areNotCounted() {
    assertThrows(
        IllegalArgumentException.class,
        () -> provider.wrap(version.versionless(), dataKey()));
    assertThrows(NullPointerException.class, () -> provider.describe(null));
    assertEquals(0, provider.wrapCount());
    assertEquals(0, provider.describeCount());
  }

  @Test
  void resetCounters_afterCalls_setsAllToZero() {
    provider.unwrap(provider.wrap(version, dataKey()));
    provider.describe(version);
    provider.resetCounters();
    for (Operation op : Operation.values()) {
      assertEquals(0, provider.count(op), op.name());
    }
  }

  @Test
  void failNext_twoTransientFailures_thirdCallSucceeds() {
    provider.failNext(Operation.DESCRIBE, 2, Fault.transientFailure(Duration.ofSeconds(3)));
    for (int i = 0; i < 2; i++) {
      KeyProviderUnavailableException e =
          assertThrows(
              KeyProviderUnavailableException.class, () -> provider.describe(version));
      assertEquals(Duration.ofSeconds(3), e.retryAfter().orElseThrow());
      assertEquals(version, e.keyReference().orElseThrow());
      assertFalse(e.isAuthoritative());
    }
    assertEquals(version, provider.describe(version).reference());
  }

  @Test
  void failNext_queuedFaults_applyInOrderToThatOperationOnly() {
    provider.failNext(Operation.WRAP, 1, Fault.notFound());
    provider.failNext(Operation.WRAP, 1, Fault.denied(Reason.KEY_DISABLED));
    provider.describe(version); // other operations unaffected
    provider.publicKey(version);
    assertThrows(KeyNotFoundException.class, () -> provider.wrap(version, dataKey()));
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> provider.wrap(version, dataKey()));
    assertEquals(Reason.KEY_DISABLED, e.reason());
    provider.wrap(version, dataKey());
  }

  @Test
  void failNext_supplier_throwsSuppliedExceptionEachTime() {
    List<IllegalStateException> made = new ArrayList<>();
    provider
        .failNext(
            Operation.PUBLIC_KEY,
            2,
            () -> {
              IllegalStateException e = new IllegalStateException("boom");
              made.add(e);
              return e;
            });
    IllegalStateException first =
        assertThrows(IllegalStateException.class, () -> provider.publicKey(version));
    IllegalStateException second =
        assertThrows(IllegalStateException.class, () -> provider.publicKey(version));
    assertEquals(List.of(first, second), made);
    assertTrue(provider.publicKey(version).isPresent());
  }

  @Test
  void failNext_invalidArguments_areRejected() {
    FaultControls c = provider;
    assertThrows(IllegalArgumentException.class, () -> c.failNext(Operation.WRAP, 0, Fault.denied()));
    assertThrows(NullPointerException.class, () -> c.failNext(null, 1, Fault.denied()));
    assertThrows(NullPointerException.class, () -> c.failNext(Operation.WRAP, 1, (Fault) null));
    assertThrows(NullPointerException.class, () -> c.setFault(Operation.WRAP, null));
    assertThrows(NullPointerException.class, () -> c.setLatency(null));
    assertThrows(IllegalArgumentException.class, () -> c.setLatency(Duration.ofNanos(-1)));
  }

  @Test
  void setFault_persistentDenial_failsEveryCallUntilCleared() {
    WrappedKey w = provider.wrap(version, dataKey());
    provider.setFault(Operation.UNWRAP, Fault.denied(Reason.KEY_DISABLED));
    for (int i = 0; i < 3; i++) {
      assertEquals(
          Reason.KEY_DISABLED,
          assertThrows(KeyAccessDeniedException.class, () -> provider.unwrap(w)).reason());
    }
    provider.setFault(Operation.UNWRAP, Fault.invalidCiphertext()); // replaces
    assertThrows(InvalidCiphertextException.class, () -> provider.unwrap(w));
    provider.clearFault(Operation.UNWRAP);
    assertEquals(dataKey(), provider.unwrap(w));
  }

  @Test
  void denyIdentity_everyOperationDeniedAsIdentityNotAuthorizedUntilLifted() {
    WrappedKey w = provider.wrap(version, dataKey());
    provider.denyIdentity(true);
    assertTrue(provider.identityDenied());
    List<Supplier<Object>> calls =
        List.of(
            () -> provider.describe(version),
            () -> provider.resolveLatest(version),
            () -> provider.wrap(version, dataKey()),
            () -> provider.unwrap(w),
            () -> provider.publicKey(version));
    for (Supplier<Object> call : calls) {
      KeyAccessDeniedException e = assertThrows(KeyAccessDeniedException.class, call::get);
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, e.reason());
      assertTrue(e.isAuthoritative());
    }
    provider.denyIdentity(false);
    for (Supplier<Object> call : calls) {
      call.get();
    }
  }

  @Test
  void failNext_whileIdentityDenied_scriptedFailureComesFirst() {
    provider.denyIdentity(true);
    provider.failNext(Operation.DESCRIBE, 1, Fault.transientFailure());
    assertThrows(KeyProviderUnavailableException.class, () -> provider.describe(version));
    assertThrows(KeyAccessDeniedException.class, () -> provider.describe(version));
  }

  @Test
  void clearFaults_removesScriptedPersistentAndIdentityDenial() {
    provider.failNext(Operation.WRAP, 5, Fault.notFound());
    provider.setFault(Operation.DESCRIBE, Fault.denied());
    provider.denyIdentity(true);
    provider.setLatency(Duration.ofMillis(1));
    provider.clearFaults();
    assertFalse(provider.identityDenied());
    provider.wrap(version, dataKey());
    provider.describe(version);
    assertEquals(Duration.ofMillis(1), provider.latency(), "latency is not a fault");
  }

  @Test
  void setLatency_eachCallTakesAtLeastThatLong() {
    provider.setLatency(Duration.ofMillis(60));
    long start = System.nanoTime();
    provider.describe(version);
    provider.publicKey(version);
    long elapsed = System.nanoTime() - start;
    assertTrue(elapsed >= Duration.ofMillis(120).toNanos(), "elapsed " + elapsed + " ns");
    provider.setLatency(Duration.ZERO);
    assertEquals(Duration.ZERO, provider.latency());
  }

  @Test
  void setLatency_interruptedWhileWaiting_throwsUnavailableAndKeepsInterruptFlag()
      throws Exception {
    provider.setLatency(Duration.ofMinutes(5));
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicReference<Boolean> flag = new AtomicReference<>();
    Thread t =
        new Thread(
            () -> {
              try {
                provider.describe(version);
              } catch (RuntimeException e) {
                thrown.set(e);
                flag.set(Thread.currentThread().isInterrupted());
              }
            });
    t.start();
    while (t.getState() != Thread.State.TIMED_WAITING) {
      Thread.onSpinWait();
    }
    t.interrupt();
    t.join(TimeUnit.SECONDS.toMillis(10));
    assertInstanceOf(KeyProviderUnavailableException.class, thrown.get());
    assertInstanceOf(InterruptedException.class, thrown.get().getCause());
    assertTrue(flag.get(), "interrupt flag restored");
  }

  @Test
  void failNext_concurrentCalls_exactlyThatManyFail() throws Exception {
    int threads = 8;
    int callsPerThread = 25;
    provider.failNext(Operation.DESCRIBE, 37, Fault.transientFailure());
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> failures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        failures.add(
            pool.submit(
                () -> {
                  go.await();
                  int failed = 0;
                  for (int i = 0; i < callsPerThread; i++) {
                    try {
                      provider.describe(version);
                    } catch (KeyProviderUnavailableException e) {
                      failed++;
                    }
                  }
                  return failed;
                }));
      }
      go.countDown();
      int total = 0;
      for (Future<Integer> f : failures) {
        total += f.get(1, TimeUnit.MINUTES);
      }
      assertEquals(37, total);
      assertEquals(threads * callsPerThread, provider.describeCount());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void fault_supplierReturningNull_throwsIllegalState() {
    provider.setFault(Operation.DESCRIBE, Fault.throwing(() -> null));
    assertThrows(IllegalStateException.class, () -> provider.describe(version));
  }

  @Test
  void failNext_sameFaultObject_makesFreshExceptions() {
    provider.failNext(Operation.DESCRIBE, 2, Fault.notFound());
    KeyNotFoundException a =
        assertThrows(KeyNotFoundException.class, () -> provider.describe(version));
    KeyNotFoundException b =
        assertThrows(KeyNotFoundException.class, () -> provider.describe(version));
    assertFalse(a == b, "a fresh exception per call");
    assertEquals(version, a.keyReference().orElseThrow());
  }
}
