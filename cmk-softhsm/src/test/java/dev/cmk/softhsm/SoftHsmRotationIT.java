package dev.cmk.softhsm;

import static dev.cmk.softhsm.CmkOnToken.PAST_PROBE_INTERVAL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.KeyAccessEvent;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.LossCause;
import dev.cmk.core.RewrapItem;
import dev.cmk.core.RewrapReport;
import dev.cmk.softhsm.CmkOnToken.Written;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Key rotation end to end on a real SoftHSM2 token: a second JVM rotates the key through {@link
 * Pkcs11KeyManager}; after one probe interval (on the manual clock driving the guard) new
 * envelopes use the new version while old ones still decrypt in the token; {@code rewrapAll} moves
 * every envelope to the new version without touching bodies; disabling the old version afterwards
 * breaks nothing.
 */
class SoftHsmRotationIT {
  /** Data keys are replaced every five messages, so that envelopes hold several wrapped keys. */
  private static final DataKeyLimits FIVE_PER_DATA_KEY =
      new DataKeyLimits(5, Long.MAX_VALUE, Duration.ofDays(1));

  private static SoftHsm.TestToken token;

  private ManualClock clock;
  private Pkcs11KeyProvider provider;
  private FaultInjectingProvider counted;
  private final List<KeyAccessEvent> events = new CopyOnWriteArrayList<>();
  private EnvelopeCrypto crypto;

  @BeforeAll
  static void createToken() {
    token = SoftHsm.createToken("rotation-it");
  }

  @BeforeEach
  void setUp() {
    clock = ManualClock.create();
    provider = token.provider().clock(clock).build();
    counted = FaultInjectingProvider.wrapping(provider);
  }

  @AfterEach
  void tearDown() {
    if (crypto != null) {
      crypto.close();
    }
    provider.close();
  }

  private EnvelopeCrypto guarded(KeyReference key) {
    crypto =
        CmkOnToken.guarded(counted, key, clock)
            .dataKeyLimits(FIVE_PER_DATA_KEY)
            .listener(events::add)
            .build();
    return crypto;
  }

  private static List<Written> write(EnvelopeCrypto crypto, String prefix, int count) {
    List<Written> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(Written.encrypt(crypto, prefix + "/" + i, 64 * i));
    }
    return out;
  }

  private static KeyReference versionOf(byte[] envelope) {
    return EnvelopeInfo.of(envelope).keyReference();
  }

  private KeyReference rotateInSecondProcess(KeyReference v1) {
    SoftHsm.inSecondProcess(token, "rotate", v1.versionless());
    List<KeyReference> versions = new ArrayList<>();
    for (KeyDescription d : provider.manager().listVersions(v1.versionless())) {
      versions.add(d.reference());
    }
    assertEquals(2, versions.size(), "the second process made one new version: " + versions);
    assertEquals(v1, versions.get(0));
    KeyReference v2 = versions.get(1);
    assertTrue(v2.version().orElseThrow().startsWith("v0002-"), v2.toString());
    return v2;
  }

  private boolean noLossOfAccess() {
    return events.stream().noneMatch(e -> e instanceof KeyAccessEvent.StateChanged
        && ((KeyAccessEvent.StateChanged) e).to().state() != KeyAccessState.AVAILABLE);
  }

  @Test
  void writes_keyRotatedBySecondProcess_useNewVersionAfterProbeIntervalOldStillDecrypt() {
    KeyReference v1 = provider.manager().createKey("rotate-pickup", 2048);
    EnvelopeCrypto crypto = guarded(v1);
    List<Written> underV1 = new ArrayList<>(write(crypto, "v1", 20));
    for (Written w : underV1) {
      EnvelopeInfo info = EnvelopeInfo.of(w.envelope);
      assertEquals(v1, info.keyReference());
      assertEquals(Pkcs11KeyProvider.ID, info.providerId());
      assertEquals(WrapAlgorithm.RSA_OAEP_256, info.wrapAlgorithm());
    }

    KeyReference v2 = rotateInSecondProcess(v1);
    Written beforeInterval = Written.encrypt(crypto, "v1/before-interval", 100);
    assertEquals(v1, versionOf(beforeInterval.envelope),
        "the latest version is re-resolved once per probe interval");
    underV1.add(beforeInterval);

    clock.advance(PAST_PROBE_INTERVAL);
    List<Written> underV2 = write(crypto, "v2", 10);
    for (Written w : underV2) {
      assertEquals(v2, versionOf(w.envelope), w.id);
    }
    assertEquals(v2, crypto.keyAccess().status().currentVersion());
    assertTrue(
        events.stream().anyMatch(e -> e instanceof KeyAccessEvent.RotationPickedUp
            && v1.equals(((KeyAccessEvent.RotationPickedUp) e).from())
            && v2.equals(((KeyAccessEvent.RotationPickedUp) e).to())),
        "rotation event: " + events);

    // Old envelopes decrypt in the token with the old version: 21 envelopes, 5 per data key.
    crypto.diagnostics().purgeDataKeys();
    long unwraps = counted.count(Operation.UNWRAP);
    for (Written w : underV1) {
      w.assertDecrypts(crypto);
    }
    // v1 is no longer the write version and its last confirmation is older than the probe
    // interval: one unwrap of its known-good sample re-confirms it (VersionWatch), then one
    // token unwrap per data key.
    assertEquals(unwraps + 1 + 5, counted.count(Operation.UNWRAP),
        "one re-confirmation of v1, then one token unwrap per data key");
    for (Written w : underV2) {
      w.assertDecrypts(crypto);
    }
    assertTrue(noLossOfAccess(), "events: " + events);
  }

  @Test
  void rewrapAll_afterRotation_movesEveryEnvelopeAndDisablingOldVersionBreaksNothing() {
    KeyReference v1 = provider.manager().createKey("rotate-rewrap", 2048);
    EnvelopeCrypto crypto = guarded(v1);
    List<Written> underV1 = write(crypto, "v1", 20);
    KeyReference v2 = rotateInSecondProcess(v1);
    clock.advance(PAST_PROBE_INTERVAL);
    List<Written> underV2 = write(crypto, "v2", 5);
    for (Written w : underV2) {
      assertEquals(v2, versionOf(w.envelope), w.id);
    }
    crypto.diagnostics().purgeDataKeys();
    for (Written w : underV1) {
      w.assertDecrypts(crypto); // v1 in recent use: disabling it later must be reported
    }

    List<Written> all = new ArrayList<>(underV1);
    all.addAll(underV2);
    byte[][] store = new byte[all.size()][];
    List<RewrapItem> items = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      int n = i;
      store[n] = all.get(n).envelope.clone();
      items.add(RewrapItem.ofBytes(all.get(n).id, () -> store[n], b -> store[n] = b));
    }
    clock.advance(Duration.ofSeconds(1));
    AtomicLong progress = new AtomicLong();
    RewrapReport report = crypto.rewrapAll(items, (id, outcome, done) -> progress.set(done));
    assertEquals(v2, report.target());
    assertEquals(25, report.total());
    assertEquals(20, report.rewrapped());
    assertEquals(5, report.alreadyCurrent());
    assertEquals(List.of(), report.failures());
    assertEquals(Map.of(v1, 20L), report.movedFrom());
    assertEquals(25, progress.get());
    assertEquals(20, crypto.diagnostics().inventory().usage(v1).orElseThrow().rewrappedAway());

    for (int i = 0; i < all.size(); i++) {
      byte[] before = all.get(i).envelope;
      EnvelopeInfo old = EnvelopeInfo.of(before);
      EnvelopeInfo now = EnvelopeInfo.of(store[i]);
      assertEquals(v2, now.keyReference(), all.get(i).id);
      assertArrayEquals(
          Arrays.copyOfRange(before, old.headerLength(), before.length),
          Arrays.copyOfRange(store[i], now.headerLength(), store[i].length),
          "only the header changes: " + all.get(i).id);
    }
    RewrapReport again = crypto.rewrapAll(items, (id, outcome, done) -> { });
    assertEquals(0, again.rewrapped());
    assertEquals(25, again.alreadyCurrent());

    // The operator disables v1 from another process; the re-wrapped envelopes need only v2.
    SoftHsm.inSecondProcess(token, "disable", v1);
    crypto.diagnostics().purgeDataKeys();
    clock.advance(PAST_PROBE_INTERVAL);
    long unwraps = counted.count(Operation.UNWRAP);
    for (int i = 0; i < all.size(); i++) {
      Written w = all.get(i);
      assertArrayEquals(w.plaintext, crypto.decrypt(store[i], w.associatedData), w.id);
    }
    assertTrue(counted.count(Operation.UNWRAP) > unwraps, "decrypted through the token with v2");
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    assertEquals(v2, crypto.keyAccess().status().currentVersion());
    Written fresh = Written.encrypt(crypto, "after-disabling-v1", 500);
    assertEquals(v2, versionOf(fresh.envelope));
    fresh.assertDecrypts(crypto);
    assertTrue(
        events.stream().anyMatch(e -> e instanceof KeyAccessEvent.VersionUnavailable
            && v1.equals(((KeyAccessEvent.VersionUnavailable) e).version())
            && ((KeyAccessEvent.VersionUnavailable) e).cause() == LossCause.KEY_DISABLED),
        "the recently used old version is reported disabled: " + events);

    // A copy that was not re-wrapped needs the disabled version: refused, but no loss of access.
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> underV1.get(0).assertDecrypts(crypto));
    assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, e.reason());
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    assertTrue(noLossOfAccess(), "events: " + events);
  }
}
