package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Rotation, re-wrap and the key-version inventory. */
class RotationTest {
  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
  private final FaultInjectingProvider faults = FaultInjectingProvider.wrapping(provider);
  private final List<KeyAccessEvent> events = new CopyOnWriteArrayList<>();

  private EnvelopeCrypto crypto(KeyReference key) {
    return EnvelopeCrypto.builder()
        .provider(faults)
        .writeKey(key)
        .clock(clock)
        .sleeper(clock::advance)
        .listener(events::add)
        .segmentSize(1024)
        .dataKeyLimits(new DataKeyLimits(100, Long.MAX_VALUE, Duration.ofHours(1)))
        .build();
  }

  private static byte[] aad(int i) {
    return ("Observation/" + i + "/1").getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] data(int i) {
    return ("{\"resourceType\":\"Observation\",\"id\":\"" + i + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void rotation_thousandEnvelopes_oldDecryptNewUseV2_rewrapMovesAll_thenV1CanBeDisabled() {
    KeyReference v1 = provider.manager().createKey("rotating", 2048);
    EnvelopeCrypto crypto = crypto(v1.versionless());
    List<byte[]> stored = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      stored.add(crypto.encrypt(data(i), aad(i)));
    }
    KeyReference v2 = provider.manager().rotateKey(v1);
    assertEquals(v1, EnvelopeInfo.of(crypto.encrypt(data(0), aad(0))).keyReference(),
        "not picked up before the probe interval");
    clock.advance(Duration.ofMinutes(1));
    byte[] fresh = crypto.encrypt(data(1000), aad(1000));
    assertEquals(v2, EnvelopeInfo.of(fresh).keyReference());
    assertTrue(events.stream().anyMatch(e -> e instanceof KeyAccessEvent.RotationPickedUp
        && v2.equals(((KeyAccessEvent.RotationPickedUp) e).to())));
    for (int i = 0; i < 1000; i++) {
      assertArrayEquals(data(i), crypto.decrypt(stored.get(i), aad(i)));
    }

    // Bulk re-wrap: every envelope moves to v2, unwraps are shared per data key.
    long unwrapsBefore = faults.unwrapCount();
    long wrapsBefore = faults.wrapCount();
    EnvelopeCrypto rewrapper = crypto(v1.versionless());
    List<RewrapItem> items = new ArrayList<>();
    for (int i = 0; i < stored.size(); i++) {
      int index = i;
      items.add(RewrapItem.ofBytes("obs-" + i, () -> stored.get(index), b -> stored.set(index, b)));
    }
    long[] progress = {0};
    RewrapReport report = rewrapper.rewrapAll(items, (id, outcome, done) -> progress[0] = done);
    assertEquals(1000, report.total());
    assertEquals(1000, report.rewrapped());
    assertEquals(0, report.failed());
    assertEquals(1000, progress[0]);
    assertEquals(java.util.Map.of(v1, 1000L), report.movedFrom());
    // 1000 envelopes at 100 per data key: 10 unwraps (+1 trial at build) and 10 wraps (+1 trial).
    assertEquals(11, faults.unwrapCount() - unwrapsBefore);
    assertEquals(11, faults.wrapCount() - wrapsBefore);
    Instant rewrapDone = clock.instant();
    clock.advance(Duration.ofSeconds(1));

    // Re-running is a no-op: everything is already current (resumable).
    RewrapReport again = rewrapper.rewrapAll(items, (id, outcome, done) -> { });
    assertEquals(1000, again.alreadyCurrent());

    for (int i = 0; i < 1000; i++) {
      assertEquals(v2, EnvelopeInfo.of(stored.get(i)).keyReference());
      assertArrayEquals(data(i), rewrapper.decrypt(stored.get(i), aad(i)));
    }
    assertEquals(List.of(v1), rewrapper.diagnostics().inventory().unusedSince(v1, rewrapDone));
    assertEquals(1000, rewrapper.diagnostics().inventory().usage(v1).orElseThrow().rewrappedAway());

    // Disabling v1 now breaks nothing: a fresh reader decrypts everything without v1.
    provider.manager().setEnabled(v1, false);
    EnvelopeCrypto reader = crypto(v1.versionless());
    for (int i = 0; i < 1000; i++) {
      assertArrayEquals(data(i), reader.decrypt(stored.get(i), aad(i)));
    }
    assertEquals(KeyAccessState.AVAILABLE, reader.keyAccess().status().state());
  }

  @Test
  void rotationToAVersionBreakingThePolicy_isNotUsedAndIsReported() {
    KeyReference v1 = provider.manager().createKey("policy-rotation", 2048);
    EnvelopeCrypto crypto = crypto(v1.versionless());
    KeyReference weak = provider.manager().rotateKey(v1, dev.cmk.api.KeyType.RSA, 1024);
    clock.advance(Duration.ofMinutes(2));
    byte[] envelope = crypto.encrypt(data(1), aad(1));
    assertEquals(v1, EnvelopeInfo.of(envelope).keyReference());
    KeyAccessEvent.PolicyViolationFound found = events.stream()
        .filter(e -> e instanceof KeyAccessEvent.PolicyViolationFound)
        .map(e -> (KeyAccessEvent.PolicyViolationFound) e).findFirst().orElseThrow();
    assertEquals(weak, found.version());
    assertEquals(KeyPolicy.RULE_KEY_SIZE, found.violations().get(0).rule());
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
  }

  @Test
  void pinnedVersion_doesNotFollowRotation() {
    KeyReference v1 = provider.manager().createKey("pinned", 2048);
    EnvelopeCrypto crypto = crypto(v1);
    provider.manager().rotateKey(v1);
    clock.advance(Duration.ofMinutes(5));
    assertEquals(v1, EnvelopeInfo.of(crypto.encrypt(data(1), aad(1))).keyReference());
  }

  @Test
  void rewrapStream_changesOnlyTheHeader() throws Exception {
    KeyReference v1 = provider.manager().createKey("stream-rewrap", 2048);
    EnvelopeCrypto crypto = crypto(v1.versionless());
    byte[] plaintext = new byte[5000];
    new java.util.Random(5).nextBytes(plaintext);
    byte[] original = crypto.encrypt(plaintext, aad(1));
    int oldHeader = EnvelopeInfo.of(original).headerLength();
    provider.manager().rotateKey(v1);
    clock.advance(Duration.ofMinutes(1));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(RewrapOutcome.REWRAPPED, crypto.rewrap(new ByteArrayInputStream(original), out));
    byte[] rewrapped = out.toByteArray();
    int newHeader = EnvelopeInfo.of(rewrapped).headerLength();
    assertArrayEquals(Arrays.copyOfRange(original, oldHeader, original.length),
        Arrays.copyOfRange(rewrapped, newHeader, rewrapped.length), "body untouched");
    assertArrayEquals(plaintext, crypto.decrypt(rewrapped, aad(1)));
    assertArrayEquals(rewrapped, crypto.rewrap(rewrapped), "already current: unchanged");
    assertEquals(RewrapOutcome.ALREADY_CURRENT,
        crypto.rewrap(new ByteArrayInputStream(rewrapped), new ByteArrayOutputStream()));
  }

  @Test
  void rewrap_tamperedHeader_refusedNotResealed() {
    KeyReference v1 = provider.manager().createKey("tampered-rewrap", 2048);
    EnvelopeCrypto crypto = crypto(v1.versionless());
    byte[] envelope = crypto.encrypt(data(1), aad(1));
    provider.manager().rotateKey(v1);
    clock.advance(Duration.ofMinutes(1));
    byte[] tampered = envelope.clone();
    tampered[TestKeys.headerOf(envelope).noncePrefixOffset() + 6] ^= 1; // last nonce-prefix byte
    assertThrows(InvalidCiphertextException.class, () -> crypto.rewrap(tampered));
  }

  @Test
  void recentlyUsedVersionDisabled_raisesWarningEvent() {
    KeyReference v1 = provider.manager().createKey("warn-old", 2048);
    EnvelopeCrypto crypto = crypto(v1.versionless());
    byte[] old = crypto.encrypt(data(1), aad(1));
    provider.manager().rotateKey(v1);
    clock.advance(Duration.ofMinutes(1));
    crypto.encrypt(data(2), aad(2));
    crypto.decrypt(old, aad(1)); // v1 recently used
    provider.manager().setEnabled(v1, false);
    clock.advance(Duration.ofMinutes(1));
    crypto.encrypt(data(3), aad(3)); // probe runs, checks recently used versions
    KeyAccessEvent.VersionUnavailable warning = events.stream()
        .filter(e -> e instanceof KeyAccessEvent.VersionUnavailable)
        .map(e -> (KeyAccessEvent.VersionUnavailable) e).findFirst().orElseThrow();
    assertEquals(v1, warning.version());
    assertEquals(LossCause.KEY_DISABLED, warning.cause());
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state(),
        "an old version does not trip the guard");
  }

  @Test
  void rewrapAll_sourceFailsMidCopy_sinkNotCommittedAndRunContinues() {
    KeyReference v1 = provider.manager().createKey("rewrap-failure", 2048);
    EnvelopeCrypto crypto = crypto(v1.versionless());
    byte[] envelope = crypto.encrypt(new byte[5000], aad(1));
    provider.manager().rotateKey(v1);
    clock.advance(Duration.ofMinutes(1));
    int header = EnvelopeInfo.of(envelope).headerLength();
    boolean[] committed = {false};
    RewrapItem broken = new RewrapItem() {
      @Override
      public String id() {
        return "broken";
      }

      @Override
      public java.io.InputStream openSource() {
        return new java.io.SequenceInputStream(
            new ByteArrayInputStream(envelope, 0, header + 100),
            new java.io.InputStream() {
              @Override
              public int read() throws java.io.IOException {
                throw new java.io.IOException("disk read error");
              }
            });
      }

      @Override
      public RewrapSink openSink() throws java.io.IOException {
        return RewrapItem.ofBytes("x", () -> envelope, b -> committed[0] = true).openSink();
      }
    };
    byte[][] healthy = {envelope.clone()};
    RewrapReport report = crypto.rewrapAll(
        List.of(broken, RewrapItem.ofBytes("ok", () -> healthy[0], b -> healthy[0] = b)),
        (id, outcome, done) -> { });
    assertEquals(1, report.failed());
    assertEquals("broken", report.failures().get(0).id());
    assertEquals(1, report.rewrapped());
    assertTrue(!committed[0], "a failed copy is never committed");
  }
}
