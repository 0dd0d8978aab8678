package dev.cmk.core;

import static dev.cmk.core.ReviewThreads.daemon;
import static dev.cmk.core.ReviewThreads.trace;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.InMemoryDataKeyStore;
import dev.cmk.core.datakey.RecordCensus;
import dev.cmk.core.datakey.StoredDataKey;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * What the review of format 2 found, pinned: no deadlock between a reader's record load and a
 * writer's roll; a planted record does not stop sharing writers; re-wrapping a format 2 envelope
 * brings its record to the current version (the envelope itself never changes).
 */
class FormatV2ReviewTest {
  private static final byte[] AAD = "a".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{}".getBytes(StandardCharsets.UTF_8);

  /** Delegating store with a hook in create. */
  static final class HookStore implements DataKeyStore {
    final DataKeyStore d;
    volatile Runnable onCreate;

    HookStore(DataKeyStore d) {
      this.d = d;
    }

    @Override
    public Optional<StoredDataKey> create(DataKeyRecord r) {
      Optional<StoredDataKey> out = d.create(r);
      Runnable h = onCreate;
      if (h != null) {
        onCreate = null;
        h.run();
      }
      return out;
    }

    @Override
    public Optional<StoredDataKey> read(DataKeyId id) {
      return d.read(id);
    }

    @Override
    public Optional<StoredDataKey> replace(String rev, DataKeyRecord next) {
      return d.replace(rev, next);
    }

    @Override
    public Optional<StoredDataKey> newestWritable(String p, KeyReference k, Instant nb) {
      return d.newestWritable(p, k, nb);
    }

    @Override
    public List<StoredDataKey> page(DataKeyId after, int limit) {
      return d.page(after, limit);
    }
  }

  static int spread(byte[] id) {
    byte[] k = new byte[33];
    System.arraycopy(id, 0, k, 1, 32);
    int h = 33;
    for (int i = 25; i < 33; i++) {
      h = 31 * h + k[i];
    }
    return (h ^ (h >>> 16)) & 0x7fffffff;
  }

  static byte[] recordId(byte[] dk) throws Exception {
    Mac m = Mac.getInstance("HmacSHA256");
    m.init(new SecretKeySpec(dk, "HmacSHA256"));
    return m.doFinal("cmk/v2/data-key-id".getBytes(StandardCharsets.US_ASCII));
  }

  /** Hands out one chosen 32-byte data key when armed. */
  static final class ChosenRandom extends SecureRandom {
    volatile byte[] next;

    @Override
    public void nextBytes(byte[] bytes) {
      byte[] n = next;
      if (n != null && bytes.length == 32) {
        next = null;
        System.arraycopy(n, 0, bytes, 0, 32);
        return;
      }
      super.nextBytes(bytes);
    }
  }

  /**
   * Format 2's record loader must not run the loss-of-access guard inside the cache's compute (as
   * format 1's does not, RevocationReviewTest): a guard trip there purges, which takes the
   * writer's lock, while a roll holding that lock seeds the cache into the same bin. The writer's
   * data key is chosen so that its record id lands in the reader's bin, which makes the race
   * deterministic; before the fix this deadlocked every run.
   */
  @Test
  void v2_tripInsideRecordLoader_concurrentRoll_noDeadlock() throws Exception {
    ManualClock clock = ManualClock.create();
    InMemoryKeyProvider vault = InMemoryKeyProvider.builder().clock(clock).build();
    KeyReference v1 = vault.manager().createKey("dl", 2048);
    InMemoryDataKeyStore base = new InMemoryDataKeyStore();
    HookStore hook = new HookStore(base);
    byte[] foreign = EnvelopeCrypto.builder().provider(vault).writeKey(v1.versionless())
        .clock(clock).dataKeyStore(base).build().encrypt(DATA, AAD);
    byte[] foreignId = EnvelopeInfo.of(foreign).dataKeyId().orElseThrow().bytes();
    int target = spread(foreignId) & 0xFFFF;
    SecureRandom r = new SecureRandom();
    byte[] dk = new byte[32];
    do {
      r.nextBytes(dk);
    } while ((spread(recordId(dk)) & 0xFFFF) != target);
    ChosenRandom chosen = new ChosenRandom();
    EnvelopeCrypto service = EnvelopeCrypto.builder().provider(vault).writeKey(v1.versionless())
        .clock(clock).sleeper(clock::advance).dataKeyStore(hook).secureRandom(chosen)
        .dataKeyLimits(DataKeyLimits.singleUse()).build();
    service.encrypt(DATA, AAD);

    AtomicReference<Thread> readerRef = new AtomicReference<>();
    CountDownLatch writerInCreate = new CountDownLatch(1);
    hook.onCreate = () -> {
      writerInCreate.countDown();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() < end) {
        Thread t = readerRef.get();
        if (t != null && t.getState() == Thread.State.BLOCKED) {
          return;
        }
        Thread.onSpinWait();
      }
    };
    chosen.next = dk;
    AtomicReference<Throwable> wOut = new AtomicReference<>();
    Thread writer = daemon("writer", () -> service.encrypt(DATA, AAD), wOut);
    writer.start();
    assertTrue(writerInCreate.await(10, TimeUnit.SECONDS));
    vault.manager().setEnabled(v1, false);
    clock.advance(KeyAccessSettings.DEFAULT.probeInterval());
    AtomicReference<Throwable> rOut = new AtomicReference<>();
    Thread reader = daemon("reader", () -> service.decrypt(foreign, AAD), rOut);
    readerRef.set(reader);
    reader.start();
    writer.join(10_000);
    reader.join(10_000);
    assertFalse(writer.isAlive() || reader.isAlive(), () -> "deadlock:\n--- writer\n"
        + trace(writer) + "\n--- reader\n" + trace(reader));
  }

  /**
   * One record in the store whose wrapping is not of its id's data key (planted, or corrupt), and
   * dated far in the future so it stays "newest": sharing writers skip it and make their own.
   */
  @Test
  void sharing_forgedNewestRecord_isSkippedAndWritesWork() {
    InMemoryKeyProvider vault = InMemoryKeyProvider.builder().build();
    KeyReference v1 = vault.manager().createKey("share", 2048);
    InMemoryDataKeyStore store = new InMemoryDataKeyStore();
    byte[] someId = new byte[32];
    new SecureRandom().nextBytes(someId);
    WrappedKey w = vault.wrap(v1, SecretBytes.wrapOwned(new byte[32]));
    store.create(new DataKeyRecord(DataKeyId.of(someId), List.of(w),
        Instant.now().plusSeconds(60), "planted", 1));
    try (EnvelopeCrypto writer = EnvelopeCrypto.builder().provider(vault).writeKey(v1)
        .dataKeyStore(store).shareDataKeyRecords(true).build()) {
      for (int i = 0; i < 3; i++) {
        byte[] e = writer.encrypt(DATA, AAD);
        assertNotEquals(DataKeyId.of(someId), EnvelopeInfo.of(e).dataKeyId().orElseThrow());
        assertArrayEquals(DATA, writer.decrypt(e, AAD));
      }
    }
    assertEquals(2, store.size(), "the planted record and the writer's own");
  }

  /**
   * After a rotation, the envelope-level re-wrap of a format 2 envelope (what a v1-era
   * {@code rewrapAll} over stored objects does) re-wraps its record, so retiring the old version
   * afterwards loses nothing.
   */
  @Test
  void envelopeRewrap_ofFormatTwo_bringsItsRecordToTheCurrentVersion() throws Exception {
    InMemoryKeyProvider vault = InMemoryKeyProvider.builder().build();
    KeyReference key = vault.manager().createKey("rot", 2048).versionless();
    InMemoryDataKeyStore store = new InMemoryDataKeyStore();
    byte[] envelope;
    try (EnvelopeCrypto writer = EnvelopeCrypto.builder().provider(vault).writeKey(key)
        .dataKeyStore(store).build()) {
      envelope = writer.encrypt(DATA, AAD);
    }
    KeyReference v2 = vault.manager().rotateKey(key);
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(vault).writeKey(key)
        .dataKeyStore(store).build()) {
      assertArrayEquals(envelope, crypto.rewrap(envelope), "the envelope never changes");
      RecordCensus census = crypto.dataKeyRecords().census();
      assertTrue(census.versions().stream()
          .anyMatch(u -> u.version().equals(v2) && u.preferred() == 1), census.toString());
      assertEquals(RewrapOutcome.ALREADY_CURRENT, crypto.rewrap(
          new java.io.ByteArrayInputStream(envelope), new java.io.ByteArrayOutputStream()));
    }
  }
}
