package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.Fault;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The observer hook: what is reported, exactly, and that an observer cannot break anything. */
class CryptoObserverTest {
  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
  private final byte[] aad = "Patient/1".getBytes(StandardCharsets.UTF_8);

  private EnvelopeCrypto crypto(KeyReference key, CryptoObserver observer) {
    return EnvelopeCrypto.builder().provider(provider).writeKey(key).clock(clock)
        .sleeper(clock::advance).observer(observer).build();
  }

  @Test
  void observer_setTwice_throwsIllegalState() {
    EnvelopeCryptoBuilder b = EnvelopeCrypto.builder().observer(CryptoObserver.noop());
    assertThrows(IllegalStateException.class, () -> b.observer(new RecordingObserver()));
    assertThrows(NullPointerException.class, () -> EnvelopeCrypto.builder().observer(null));
  }

  @Test
  void noop_isOneSharedInstance() {
    assertSame(CryptoObserver.noop(), CryptoObserver.noop());
  }

  @Test
  void build_callsAttachedOnceWithTheBuiltInstance() {
    RecordingObserver r = new RecordingObserver();
    EnvelopeCrypto crypto = crypto(provider.manager().createKey("attached", 2048).versionless(), r);
    assertEquals(List.of(crypto), r.attachedTo);
  }

  @Test
  void build_attachedThrows_buildFails() {
    KeyReference key = provider.manager().createKey("refused", 2048).versionless();
    CryptoObserver refusing = new CryptoObserver() {
      @Override
      public void attached(EnvelopeCrypto crypto) {
        throw new IllegalStateException("already attached");
      }
    };
    assertThrows(IllegalStateException.class, () -> crypto(key, refusing));
  }

  @Test
  void build_reportsTheStartupProbeCalls() {
    RecordingObserver r = new RecordingObserver();
    crypto(provider.manager().createKey("startup", 2048).versionless(), r);
    // Confirmation at build: describe, then a trial wrap and unwrap of a canary.
    assertEquals(1, r.count("in-memory DESCRIBE SUCCESS"), r.calls::toString);
    assertEquals(1, r.count("in-memory WRAP SUCCESS"), r.calls::toString);
    assertEquals(1, r.count("in-memory UNWRAP SUCCESS"), r.calls::toString);
    assertEquals(3, r.calls.size(), r.calls::toString);
  }

  @Test
  void encryptDecrypt_cacheHitsAndMisses_countedExactly() {
    KeyReference key = provider.manager().createKey("cache", 2048).versionless();
    RecordingObserver writer = new RecordingObserver();
    EnvelopeCrypto a = crypto(key, writer);
    byte[][] envelopes = new byte[3][];
    for (int i = 0; i < 3; i++) {
      envelopes[i] = a.encrypt(("doc " + i).getBytes(StandardCharsets.UTF_8), aad);
    }
    assertEquals(0, writer.hits.get() + writer.misses.get(), "encrypt does not look up the cache");
    assertEquals(1, writer.count("in-memory WRAP SUCCESS") - 1, "one data key wrapped");
    for (byte[] e : envelopes) {
      a.decrypt(e, aad);
    }
    assertEquals(3, writer.hits.get(), "the writer's own data key was seeded into its cache");
    assertEquals(0, writer.misses.get());

    RecordingObserver reader = new RecordingObserver();
    EnvelopeCrypto b = crypto(key, reader);
    int unwrapsAtBuild = (int) reader.count("in-memory UNWRAP SUCCESS");
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(("doc " + i).getBytes(StandardCharsets.UTF_8), b.decrypt(envelopes[i], aad));
    }
    assertEquals(1, reader.misses.get(), "one data key, unwrapped once");
    assertEquals(2, reader.hits.get());
    assertEquals(1, reader.count("in-memory UNWRAP SUCCESS") - unwrapsAtBuild);
  }

  @Test
  void disabledKey_unwrapReportedAsDenied() {
    KeyReference v1 = provider.manager().createKey("denied", 2048);
    EnvelopeCrypto writer = crypto(v1.versionless(), CryptoObserver.noop());
    byte[] envelope = writer.encrypt(new byte[10], aad);
    RecordingObserver r = new RecordingObserver();
    EnvelopeCrypto reader = crypto(v1.versionless(), r);
    provider.manager().setEnabled(v1, false);
    assertThrows(RuntimeException.class, () -> reader.decrypt(envelope, aad));
    assertTrue(r.count("in-memory UNWRAP DENIED") + r.count("in-memory DESCRIBE SUCCESS") >= 1,
        r.calls::toString);
    assertTrue(r.calls.stream().anyMatch(c -> c.endsWith(" DENIED")), r.calls::toString);
  }

  @Test
  void transientFailure_eachAttemptReported() {
    FaultInjectingProvider faults = FaultInjectingProvider.wrapping(provider);
    KeyReference key = provider.manager().createKey("retried", 2048).versionless();
    RecordingObserver r = new RecordingObserver();
    faults.failNext(Operation.DESCRIBE, 1, Fault.transientFailure());
    EnvelopeCrypto.builder().provider(faults).writeKey(key).clock(clock)
        .sleeper(clock::advance).observer(r).build();
    assertEquals(List.of("in-memory DESCRIBE UNAVAILABLE", "in-memory DESCRIBE SUCCESS"),
        r.calls.subList(0, 2));
  }

  @Test
  void observerThrows_operationsUnaffected() {
    CryptoObserver broken = new CryptoObserver() {
      @Override
      public void kekCall(String id, KekOperation op, KekOutcome outcome, long nanos) {
        throw new IllegalStateException("broken metrics");
      }

      @Override
      public void dataKeyCacheHits(int count) {
        throw new IllegalStateException("broken metrics");
      }

      @Override
      public void dataKeyCacheMisses(int count) {
        throw new IllegalStateException("broken metrics");
      }

      @Override
      public void rewrapItem(RewrapOutcome outcome) {
        throw new IllegalStateException("broken metrics");
      }
    };
    KeyReference key = provider.manager().createKey("broken", 2048);
    EnvelopeCrypto crypto = crypto(key.versionless(), broken);
    byte[] envelope = crypto.encrypt(new byte[100], aad);
    assertArrayEquals(new byte[100], crypto.decrypt(envelope, aad));
    EnvelopeCrypto other = crypto(key.versionless(), broken);
    assertArrayEquals(new byte[100], other.decrypt(envelope, aad));
    byte[][] stored = {envelope};
    RewrapReport report = crypto.rewrapAll(
        List.of(RewrapItem.ofBytes("1", () -> stored[0], b -> stored[0] = b)), (id, o, n) -> { });
    assertEquals(1, report.alreadyCurrent());
  }

  @Test
  void rewrapAll_reportsEveryItem() {
    KeyReference v1 = provider.manager().createKey("rewrap", 2048);
    RecordingObserver r = new RecordingObserver();
    EnvelopeCrypto crypto = crypto(v1.versionless(), r);
    byte[][] stored = {crypto.encrypt(new byte[10], aad), crypto.encrypt(new byte[20], aad),
        "not an envelope".getBytes(StandardCharsets.UTF_8)};
    provider.manager().rotateKey(v1);
    clock.advance(Duration.ofMinutes(10)); // past the probe interval: the new version is picked up
    List<RewrapItem> items = new ArrayList<>();
    for (int i = 0; i < stored.length; i++) {
      int n = i;
      items.add(RewrapItem.ofBytes("item-" + i, () -> stored[n], b -> stored[n] = b));
    }
    RewrapReport first = crypto.rewrapAll(items, (id, o, n) -> { });
    assertEquals(2, first.rewrapped());
    RewrapReport second = crypto.rewrapAll(items, (id, o, n) -> { });
    assertEquals(2, second.alreadyCurrent());
    assertEquals(List.of(RewrapOutcome.REWRAPPED, RewrapOutcome.REWRAPPED, RewrapOutcome.FAILED,
        RewrapOutcome.ALREADY_CURRENT, RewrapOutcome.ALREADY_CURRENT, RewrapOutcome.FAILED),
        r.rewraps);
  }

  @Test
  void kekOutcome_of_classifiesTheProviderContract() {
    KeyReference ref = KeyReference.parse("local:k/v1");
    assertEquals(KekOutcome.DENIED, KekOutcome.of(new KeyAccessDeniedException("x",
        KeyAccessDeniedException.Reason.KEY_DISABLED, ref)));
    assertEquals(KekOutcome.NOT_FOUND, KekOutcome.of(new KeyNotFoundException("x", ref)));
    assertEquals(KekOutcome.UNAVAILABLE,
        KekOutcome.of(new KeyProviderUnavailableException("x", ref, null)));
    assertEquals(KekOutcome.INVALID_CIPHERTEXT, KekOutcome.of(new InvalidCiphertextException()));
    assertEquals(KekOutcome.ERROR, KekOutcome.of(new IllegalStateException()));
    assertEquals(KekOutcome.ERROR,
        KekOutcome.of(new KeyAccessSuspendedException("suspended", false, null, null)));
  }
}
