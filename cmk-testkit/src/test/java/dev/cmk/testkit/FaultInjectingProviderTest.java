package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What is specific to the decorator: delegation, ordering against the delegate, the builder. */
class FaultInjectingProviderTest {
  private static InMemoryKeyProvider backend;
  private static KeyReference version;

  @BeforeAll
  static void createKey() {
    backend = InMemoryKeyProvider.builder().id("backend").build();
    version = backend.manager().createKey("k", 2048);
  }

  private static SecretBytes dataKey() {
    return SecretBytes.copyOf(new byte[32]);
  }

  /** A delegate that records close() and resolveLatest() and otherwise forwards to the backend. */
  private static final class RecordingProvider implements KeyEncryptionKeyProvider {
    final AtomicInteger closes = new AtomicInteger();
    final AtomicInteger resolves = new AtomicInteger();

    @Override
    public String id() {
      return backend.id();
    }

    @Override
    public boolean serves(KeyReference reference) {
      return backend.serves(reference);
    }

    @Override
    public KeyDescription describe(KeyReference reference) {
      return backend.describe(reference);
    }

    @Override
    public KeyReference resolveLatest(KeyReference reference) {
      resolves.incrementAndGet();
      return backend.resolveLatest(reference);
    }

    @Override
    public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
      return backend.wrap(reference, dataKey);
    }

    @Override
    public SecretBytes unwrap(WrappedKey wrappedKey) {
      return backend.unwrap(wrappedKey);
    }

    @Override
    public Optional<PublicKey> publicKey(KeyReference reference) {
      return backend.publicKey(reference);
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  @Test
  void builder_withoutDelegate_throwsIllegalState() {
    assertThrows(IllegalStateException.class, () -> FaultInjectingProvider.builder().build());
  }

  @Test
  void builder_nullArguments_throwNullPointerNamingParameter() {
    assertEquals(
        "delegate",
        assertThrows(NullPointerException.class, () -> FaultInjectingProvider.wrapping(null))
            .getMessage());
    assertEquals(
        "latency",
        assertThrows(NullPointerException.class, () -> FaultInjectingProvider.builder().latency(null))
            .getMessage());
  }

  @Test
  void builder_negativeLatency_throwsIllegalArgument() {
    assertThrows(
        IllegalArgumentException.class,
        () -> FaultInjectingProvider.builder().latency(Duration.ofMillis(-1)));
  }

  @Test
  void builder_latency_isInitialLatency() {
    FaultInjectingProvider p =
        FaultInjectingProvider.builder().delegate(backend).latency(Duration.ofMillis(5)).build();
    assertEquals(Duration.ofMillis(5), p.latency());
    assertSame(backend, p.delegate());
  }

  @Test
  void idAndServes_passThroughUncounted() {
    FaultInjectingProvider p = FaultInjectingProvider.wrapping(backend);
    p.denyIdentity(true);
    assertEquals("backend", p.id());
    assertTrue(p.serves(version));
    assertFalse(p.serves(KeyReference.parse("pkcs11:object=k")));
    for (Operation op : Operation.values()) {
      assertEquals(0, p.count(op));
    }
  }

  @Test
  void injectedFault_neverReachesDelegate() {
    // The inner decorator counts what reaches the backend.
    FaultInjectingProvider delegate = FaultInjectingProvider.wrapping(backend);
    FaultInjectingProvider p = FaultInjectingProvider.wrapping(delegate);
    p.setFault(Operation.WRAP, Fault.transientFailure());
    assertThrows(KeyProviderUnavailableException.class, () -> p.wrap(version, dataKey()));
    assertEquals(0, delegate.wrapCount(), "the delegate was not called");
    p.clearFault(Operation.WRAP);
    p.wrap(version, dataKey());
    assertEquals(1, delegate.wrapCount());
  }

  @Test
  void delegateFailures_passThroughUnchangedAndAreCounted() {
    InMemoryKeyProvider own = InMemoryKeyProvider.create();
    KeyReference v = own.manager().createKey("own", 2048);
    FaultInjectingProvider p = FaultInjectingProvider.wrapping(own);
    WrappedKey w = p.wrap(v, dataKey());
    own.manager().setEnabled(v, false);
    assertEquals(
        Reason.KEY_DISABLED,
        assertThrows(KeyAccessDeniedException.class, () -> p.unwrap(w)).reason());
    own.manager().deleteKey(v);
    assertThrows(KeyNotFoundException.class, () -> p.describe(v));
    assertEquals(1, p.unwrapCount());
    assertEquals(1, p.describeCount());
  }

  @Test
  void resolveLatest_usesDelegatesResolveLatestAndCountsAsDescribe() {
    RecordingProvider delegate = new RecordingProvider();
    FaultInjectingProvider p = FaultInjectingProvider.wrapping(delegate);
    assertEquals(version, p.resolveLatest(version.versionless()));
    assertEquals(1, delegate.resolves.get());
    assertEquals(1, p.describeCount());
    p.failNext(Operation.DESCRIBE, 1, Fault.notFound());
    assertThrows(KeyNotFoundException.class, () -> p.resolveLatest(version));
    assertEquals(1, delegate.resolves.get());
  }

  @Test
  void close_closesDelegate() {
    RecordingProvider delegate = new RecordingProvider();
    FaultInjectingProvider p = FaultInjectingProvider.wrapping(delegate);
    p.close();
    assertEquals(1, delegate.closes.get());
  }

  @Test
  void publicKey_versionlessReference_throwsIllegalArgumentUncounted() {
    FaultInjectingProvider p = FaultInjectingProvider.wrapping(backend);
    assertThrows(IllegalArgumentException.class, () -> p.publicKey(version.versionless()));
    assertEquals(0, p.publicKeyCount());
  }

  @Test
  void toString_namesDelegateAndCounts() {
    FaultInjectingProvider p = FaultInjectingProvider.wrapping(backend);
    p.describe(version);
    String s = p.toString();
    assertTrue(s.contains("InMemoryKeyProvider[id=backend") && s.contains("describe=1"), s);
  }
}
