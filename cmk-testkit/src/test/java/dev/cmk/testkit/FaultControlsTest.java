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
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Counters, latency and fault injection of {@link FaultControls}, on a {@link
 * FaultInjectingProvider} around an in-memory provider (the one implementation in the kit; the
 * in-memory provider itself no longer carries the controls).
 */
class FaultControlsTest {

  /** A provider under test with its controls and one usable key version. */
  record Setup(String name, KeyEncryptionKeyProvider provider, FaultControls controls, KeyReference version) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static KeyPair keyPair;

  @BeforeAll
  static void generate() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    keyPair = g.generateKeyPair();
  }

  static Stream<Named<Supplier<Setup>>> setups() {
    return Stream.of(
        Named.of(
            "FaultInjectingProvider",
            () -> {
              InMemoryKeyProvider backend = InMemoryKeyProvider.create();
              KeyReference v = backend.importKey("k", keyPair);
              FaultInjectingProvider p = FaultInjectingProvider.wrapping(backend);
              return new Setup("FaultInjectingProvider", p, p, v);
            }));
  }

  private static SecretBytes dataKey() {
    return SecretBytes.copyOf(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  }

  @ParameterizedTest
  @MethodSource("setups")
  void counters_eachOperation_countsCallsIncludingFailedOnes(Supplier<Setup> setup) {
    Setup s = setup.get();
    KeyEncryptionKeyProvider p = s.provider();
    p.describe(s.version().versionless());
    p.resolveLatest(s.version());
    WrappedKey w = p.wrap(s.version(), dataKey());
    p.unwrap(w);
    p.unwrap(w);
    p.publicKey(s.version());
    s.controls().setFault(Operation.UNWRAP, Fault.transientFailure());
    assertThrows(KeyProviderUnavailableException.class, () -> p.unwrap(w));
    assertEquals(2, s.controls().describeCount());
    assertEquals(1, s.controls().wrapCount());
    assertEquals(3, s.controls().unwrapCount());
    assertEquals(1, s.controls().publicKeyCount());
    assertEquals(3, s.controls().count(Operation.UNWRAP));
  }

  @ParameterizedTest
  @MethodSource("setups")
  void counters_programmingErrors_areNotCounted(Supplier<Setup> setup) {
    Setup s = setup.get();
    assertThrows(
        IllegalArgumentException.class,
        () -> s.provider().wrap(s.version().versionless(), dataKey()));
    assertThrows(NullPointerException.class, () -> s.provider().describe(null));
    assertEquals(0, s.controls().wrapCount());
    assertEquals(0, s.controls().describeCount());
  }

  @ParameterizedTest
  @MethodSource("setups")
  void resetCounters_afterCalls_setsAllToZero(Supplier<Setup> setup) {
    Setup s = setup.get();
    s.provider().unwrap(s.provider().wrap(s.version(), dataKey()));
    s.provider().describe(s.version());
    s.controls().resetCounters();
    for (Operation op : Operation.values()) {
      assertEquals(0, s.controls().count(op), op.name());
    }
  }

  @ParameterizedTest
  @MethodSource("setups")
  void failNext_twoTransientFailures_thirdCallSucceeds(Supplier<Setup> setup) {
    Setup s = setup.get();
    s.controls().failNext(Operation.DESCRIBE, 2, Fault.transientFailure(Duration.ofSeconds(3)));
    for (int i = 0; i < 2; i++) {
      KeyProviderUnavailableException e =
          assertThrows(
              KeyProviderUnavailableException.class, () -> s.provider().describe(s.version()));
      assertEquals(Duration.ofSeconds(3), e.retryAfter().orElseThrow());
      assertEquals(s.version(), e.keyReference().orElseThrow());
      assertFalse(e.isAuthoritative());
    }
    assertEquals(s.version(), s.provider().describe(s.version()).reference());
  }

  @ParameterizedTest
  @MethodSource("setups")
  void failNext_queuedFaults_applyInOrderToThatOperationOnly(Supplier<Setup> setup) {
    Setup s = setup.get();
    s.controls().failNext(Operation.WRAP, 1, Fault.notFound());
    s.controls().failNext(Operation.WRAP, 1, Fault.denied(Reason.KEY_DISABLED));
    s.provider().describe(s.version()); // other operations unaffected
    s.provider().publicKey(s.version());
    assertThrows(KeyNotFoundException.class, () -> s.provider().wrap(s.version(), dataKey()));
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> s.provider().wrap(s.version(), dataKey()));
    assertEquals(Reason.KEY_DISABLED, e.reason());
    s.provider().wrap(s.version(), dataKey());
  }

  @ParameterizedTest
  @MethodSource("setups")
  void failNext_supplier_throwsSuppliedExceptionEachTime(Supplier<Setup> setup) {
    Setup s = setup.get();
    List<IllegalStateException> made = new ArrayList<>();
    s.controls()
        .failNext(
            Operation.PUBLIC_KEY,
            2,
            () -> {
              IllegalStateException e = new IllegalStateException("boom");
              made.add(e);
              return e;
            });
    IllegalStateException first =
        assertThrows(IllegalStateException.class, () -> s.provider().publicKey(s.version()));
    IllegalStateException second =
        assertThrows(IllegalStateException.class, () -> s.provider().publicKey(s.version()));
    assertEquals(List.of(first, second), made);
    assertTrue(s.provider().publicKey(s.version()).isPresent());
  }

  @ParameterizedTest
  @MethodSource("setups")
  void failNext_invalidArguments_areRejected(Supplier<Setup> setup) {
    FaultControls c = setup.get().controls();
    assertThrows(IllegalArgumentException.class, () -> c.failNext(Operation.WRAP, 0, Fault.denied()));
    assertThrows(NullPointerException.class, () -> c.failNext(null, 1, Fault.denied()));
    assertThrows(NullPointerException.class, () -> c.failNext(Operation.WRAP, 1, (Fault) null));
    assertThrows(NullPointerException.class, () -> c.setFault(Operation.WRAP, null));
    assertThrows(NullPointerException.class, () -> c.setLatency(null));
    assertThrows(IllegalArgumentException.class, () -> c.setLatency(Duration.ofNanos(-1)));
  }

  @ParameterizedTest
  @MethodSource("setups")
  void setFault_persistentDenial_failsEveryCallUntilCleared(Supplier<Setup> setup) {
    Setup s = setup.get();
    WrappedKey w = s.provider().wrap(s.version(), dataKey());
    s.controls().setFault(Operation.UNWRAP, Fault.denied(Reason.KEY_DISABLED));
    for (int i = 0; i < 3; i++) {
      assertEquals(
          Reason.KEY_DISABLED,
          assertThrows(KeyAccessDeniedException.class, () -> s.provider().unwrap(w)).reason());
    }
    s.controls().setFault(Operation.UNWRAP, Fault.invalidCiphertext()); // replaces
    assertThrows(InvalidCiphertextException.class, () -> s.provider().unwrap(w));
    s.controls().clearFault(Operation.UNWRAP);
    assertEquals(dataKey(), s.provider().unwrap(w));
  }

  @ParameterizedTest
  @MethodSource("setups")
  void denyIdentity_everyOperationDeniedAsIdentityNotAuthorizedUntilLifted(Supplier<Setup> setup) {
    Setup s = setup.get();
    WrappedKey w = s.provider().wrap(s.version(), dataKey());
    s.controls().denyIdentity(true);
    assertTrue(s.controls().identityDenied());
    List<Supplier<Object>> calls =
        List.of(
            () -> s.provider().describe(s.version()),
            () -> s.provider().resolveLatest(s.version()),
            () -> s.provider().wrap(s.version(), dataKey()),
            () -> s.provider().unwrap(w),
            () -> s.provider().publicKey(s.version()));
    for (Supplier<Object> call : calls) {
      KeyAccessDeniedException e = assertThrows(KeyAccessDeniedException.class, call::get);
      assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, e.reason());
      assertTrue(e.isAuthoritative());
    }
    s.controls().denyIdentity(false);
    for (Supplier<Object> call : calls) {
      call.get();
    }
  }

  @ParameterizedTest
  @MethodSource("setups")
  void failNext_whileIdentityDenied_scriptedFailureComesFirst(Supplier<Setup> setup) {
    Setup s = setup.get();
    s.controls().denyIdentity(true);
    s.controls().failNext(Operation.DESCRIBE, 1, Fault.transientFailure());
    assertThrows(KeyProviderUnavailableException.class, () -> s.provider().describe(s.version()));
    assertThrows(KeyAccessDeniedException.class, () -> s.provider().describe(s.version()));
  }

  @ParameterizedTest
  @MethodSource("setups")
  void clearFaults_removesScriptedPersistentAndIdentityDenial(Supplier<Setup> setup) {
    Setup s = setup.get();
    s.controls().failNext(Operation.WRAP, 5, Fault.notFound());
    s.controls().setFault(Operation.DESCRIBE, Fault.denied());
    s.controls().denyIdentity(true);
    s.controls().setLatency(Duration.ofMillis(1));
    s.controls().clearFaults();
    assertFalse(s.controls().identityDenied());
    s.provider().wrap(s.version(), dataKey());
    s.provider().describe(s.version());
    assertEquals(Duration.ofMillis(1), s.controls().latency(), "latency is not a fault");
  }

  @ParameterizedTest
  @MethodSource("setups")
  void setLatency_eachCallTakesAtLeastThatLong(Supplier<Setup> setup) {
    Setup s = setup.get();
    s.controls().setLatency(Duration.ofMillis(60));
    long start = System.nanoTime();
    s.provider().describe(s.version());
    s.provider().publicKey(s.version());
    long elapsed = System.nanoTime() - start;
    assertTrue(elapsed >= Duration.ofMillis(120).toNanos(), "elapsed " + elapsed + " ns");
    s.controls().setLatency(Duration.ZERO);
    assertEquals(Duration.ZERO, s.controls().latency());
  }

  @ParameterizedTest
  @MethodSource("setups")
  void setLatency_interruptedWhileWaiting_throwsUnavailableAndKeepsInterruptFlag(
      Supplier<Setup> setup) throws Exception {
    Setup s = setup.get();
    s.controls().setLatency(Duration.ofMinutes(5));
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicReference<Boolean> flag = new AtomicReference<>();
    Thread t =
        new Thread(
            () -> {
              try {
                s.provider().describe(s.version());
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

  @ParameterizedTest
  @MethodSource("setups")
  void failNext_concurrentCalls_exactlyThatManyFail(Supplier<Setup> setup) throws Exception {
    Setup s = setup.get();
    int threads = 8;
    int callsPerThread = 25;
    s.controls().failNext(Operation.DESCRIBE, 37, Fault.transientFailure());
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
                      s.provider().describe(s.version());
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
      assertEquals(threads * callsPerThread, s.controls().describeCount());
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @MethodSource("setups")
  void fault_supplierReturningNull_throwsIllegalState(Supplier<Setup> setup) {
    Setup s = setup.get();
    s.controls().setFault(Operation.DESCRIBE, Fault.throwing(() -> null));
    assertThrows(IllegalStateException.class, () -> s.provider().describe(s.version()));
  }

  @ParameterizedTest
  @MethodSource("setups")
  void failNext_sameFaultObject_makesFreshExceptions(Supplier<Setup> setup) {
    Setup s = setup.get();
    s.controls().failNext(Operation.DESCRIBE, 2, Fault.notFound());
    KeyNotFoundException a =
        assertThrows(KeyNotFoundException.class, () -> s.provider().describe(s.version()));
    KeyNotFoundException b =
        assertThrows(KeyNotFoundException.class, () -> s.provider().describe(s.version()));
    assertFalse(a == b, "a fresh exception per call");
    assertEquals(s.version(), a.keyReference().orElseThrow());
  }
}
