package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.core.datakey.InMemoryDataKeyStore;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Writers that share data-key records ({@code shareDataKeyRecords(true)}) never use one (body
 * key, nonce) pair twice: every envelope's (record, writer slot, message number) is unique, and
 * each slot belongs to one writer. The multi-process version of this runs against the JDBC
 * store in cmk-state-jdbc.
 */
class SharedRecordWritersTest {
  private static final InMemoryKeyProvider KEYS = InMemoryKeyProvider.builder().build();
  private static final KeyReference KEY = KEYS.manager().createKey("shared-writers", 2048);

  /** Header fields that fix the body key and nonce: record id, slot, message number. */
  private record NonceUse(String record, long slot, long message) {}

  private static NonceUse nonceUse(byte[] envelope) {
    ByteBuffer b = ByteBuffer.wrap(envelope);
    String record = EnvelopeInfo.of(envelope).dataKeyId().orElseThrow().hex();
    long slot = b.getInt(39) & 0xffffffffL;
    long message = 0;
    for (int i = 43; i < 48; i++) {
      message = (message << 8) | (envelope[i] & 0xff);
    }
    return new NonceUse(record, slot, message);
  }

  @Test
  void concurrentSharingWriters_neverRepeatANonceAndEachSlotHasOneWriter() throws Exception {
    InMemoryDataKeyStore store = new InMemoryDataKeyStore();
    FaultInjectingProvider provider = FaultInjectingProvider.wrapping(KEYS);
    int writers = 6;
    int perWriter = 300;
    List<EnvelopeCrypto> instances = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      instances.add(EnvelopeCrypto.builder().provider(provider).writeKey(KEY)
          .dataKeyStore(store).shareDataKeyRecords(true)
          // small per-slot limit: writers take many slots, some in records others made
          .dataKeyLimits(new DataKeyLimits(50, DataKeyLimits.DEFAULT.maxBytes(),
              DataKeyLimits.DEFAULT.maxAge()))
          .build());
    }
    Map<NonceUse, Integer> uses = new ConcurrentHashMap<>();
    Map<String, Integer> slotOwner = new ConcurrentHashMap<>();
    List<byte[]> envelopes = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(writers * 2);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < writers * 2; t++) {
      int writer = t % writers;
      futures.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < perWriter / 2; i++) {
          byte[] e = instances.get(writer).encrypt(
              ("w" + writer + "/" + i).getBytes(StandardCharsets.UTF_8), new byte[0]);
          NonceUse use = nonceUse(e);
          Integer before = uses.putIfAbsent(use, writer);
          assertNull(before, "nonce reused: " + use);
          Integer owner = slotOwner.putIfAbsent(use.record() + "/" + use.slot(), writer);
          assertTrue(owner == null || owner == writer, "slot shared by two writers: " + use);
          envelopes.add(e);
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertEquals(writers * perWriter, uses.size());
    Map<String, Long> slotsPerRecord = new HashMap<>();
    slotOwner.keySet().forEach(k -> slotsPerRecord.merge(k.split("/")[0], 1L, Long::sum));
    assertTrue(slotsPerRecord.values().stream().anyMatch(n -> n > 1),
        "writers shared at least one record: " + slotsPerRecord);
    assertTrue(store.size() < slotOwner.size(), store.size() + " records for "
        + slotOwner.size() + " slots");
    instances.forEach(EnvelopeCrypto::close);
    try (EnvelopeCrypto reader =
        EnvelopeCrypto.builder().provider(provider).writeKey(KEY).dataKeyStore(store).build()) {
      provider.resetCounters();
      for (byte[] e : envelopes) {
        reader.decrypt(e, new byte[0]);
      }
      assertEquals(store.size(), provider.count(Operation.UNWRAP), "one unwrap per record");
    }
  }

  @Test
  void sharingWriter_joinsTheNewestYoungRecordAndMakesANewOneWhenItAges() {
    ManualClock clock = ManualClock.startingAt(java.time.Instant.parse("2026-12-07T10:00:00Z"));
    InMemoryDataKeyStore store = new InMemoryDataKeyStore();
    DataKeyLimits limits = new DataKeyLimits(1_000_000, 1L << 30, Duration.ofHours(1));
    try (EnvelopeCrypto a = EnvelopeCrypto.builder().provider(KEYS).writeKey(KEY).clock(clock)
            .dataKeyStore(store).shareDataKeyRecords(true).dataKeyLimits(limits).build();
        EnvelopeCrypto b = EnvelopeCrypto.builder().provider(KEYS).writeKey(KEY).clock(clock)
            .dataKeyStore(store).shareDataKeyRecords(true).dataKeyLimits(limits).build()) {
      NonceUse first = nonceUse(a.encrypt(new byte[1], new byte[0]));
      NonceUse joined = nonceUse(b.encrypt(new byte[1], new byte[0]));
      assertEquals(first.record(), joined.record(), "b joined a's record");
      assertEquals(0, first.slot());
      assertEquals(1, joined.slot());
      assertEquals(1, store.size());
      clock.advance(Duration.ofMinutes(61));
      NonceUse later = nonceUse(b.encrypt(new byte[1], new byte[0]));
      assertTrue(!later.record().equals(first.record()), "an aged record is not written again");
      assertEquals(0, later.slot());
      NonceUse aLater = nonceUse(a.encrypt(new byte[1], new byte[0]));
      assertEquals(later.record(), aLater.record());
      assertEquals(1, aLater.slot());
      assertEquals(2, store.size());
      byte[] e = a.encrypt("x".getBytes(StandardCharsets.UTF_8), new byte[0]);
      assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), b.decrypt(e, new byte[0]));
    }
  }

  @Test
  void writersThatDoNotShare_eachMakeTheirOwnRecord() {
    InMemoryDataKeyStore store = new InMemoryDataKeyStore();
    try (EnvelopeCrypto a = EnvelopeCrypto.builder().provider(KEYS).writeKey(KEY)
            .dataKeyStore(store).build();
        EnvelopeCrypto b = EnvelopeCrypto.builder().provider(KEYS).writeKey(KEY)
            .dataKeyStore(store).build()) {
      NonceUse ua = nonceUse(a.encrypt(new byte[1], new byte[0]));
      NonceUse ub = nonceUse(b.encrypt(new byte[1], new byte[0]));
      assertTrue(!ua.record().equals(ub.record()));
      assertEquals(0, ua.slot());
      assertEquals(0, ub.slot());
      assertEquals(2, store.size());
    }
  }
}
