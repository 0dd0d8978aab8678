package dev.cmk.core.datakey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every {@link DataKeyStore} must do, run against each implementation by extending this
 * class (cmk-core's test jar). {@link #store()} and {@link #otherInstance()} must reach the same
 * records through two separate store instances (two processes), and records from other tests may
 * be present (ids are random; key references carry a per-run suffix).
 */
public abstract class DataKeyStoreContract {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Instant T0 = Instant.parse("2026-12-07T10:15:30.123Z");

  /** {@return the store under test} */
  protected abstract DataKeyStore store();

  /** {@return a second store instance on the same records, as another process sees them} */
  protected abstract DataKeyStore otherInstance();

  private final String run = Long.toHexString(System.nanoTime());

  /** A key version unique to this test run. */
  protected KeyReference version(String name, String version) {
    return KeyReference.parse("https://contract.vault.azure.net/keys/" + name + "-" + run + "/"
        + String.format("%032x", version.hashCode() & 0xffffffffL));
  }

  /** A record under {@code version} with a random id and a random (fake) wrapped key. */
  protected static DataKeyRecord record(KeyReference version, Instant createdAt) {
    byte[] id = new byte[DataKeyId.LENGTH];
    RANDOM.nextBytes(id);
    return new DataKeyRecord(DataKeyId.of(id), List.of(wrapping(version)), createdAt,
        "replica-a", 1);
  }

  private static WrappedKey wrapping(KeyReference version) {
    byte[] ct = new byte[256];
    RANDOM.nextBytes(ct);
    return new WrappedKey("azure-keyvault", version, WrapAlgorithm.RSA_OAEP_256, ct);
  }

  @Test
  void read_unknownId_isEmpty() {
    assertEquals(Optional.empty(), store().read(record(version("none", "v1"), T0).id()));
  }

  @Test
  void create_isReadByAnotherInstanceExactly() {
    DataKeyRecord r = record(version("create", "v1"), T0);
    StoredDataKey created = store().create(r).orElseThrow();
    assertEquals(r, created.record());
    StoredDataKey read = otherInstance().read(r.id()).orElseThrow();
    assertEquals(r, read.record());
    assertEquals(created.revision(), read.revision());
  }

  @Test
  void create_existingId_isRefusedAndKeepsTheFirst() {
    DataKeyRecord r = record(version("twice", "v1"), T0);
    store().create(r).orElseThrow();
    DataKeyRecord other = new DataKeyRecord(r.id(), List.of(wrapping(version("twice", "v2"))),
        T0.plusSeconds(5), "replica-b", 1);
    assertEquals(Optional.empty(), otherInstance().create(other));
    assertEquals(r, store().read(r.id()).orElseThrow().record());
  }

  @Test
  void create_racingWriters_exactlyOneWins() throws Exception {
    DataKeyRecord r = record(version("race", "v1"), T0);
    List<Optional<StoredDataKey>> results = race(8, i ->
        (i % 2 == 0 ? store() : otherInstance()).create(
            new DataKeyRecord(r.id(), r.wrappings(), r.createdAt(), "replica-" + i, 1)));
    assertEquals(1, results.stream().filter(Optional::isPresent).count());
  }

  @Test
  void replace_currentRevision_writesAndChangesTheRevision() {
    KeyReference v1 = version("rewrap", "v1");
    DataKeyRecord r = record(v1, T0);
    StoredDataKey created = store().create(r).orElseThrow();
    List<WrappedKey> both = List.of(r.primary(), wrapping(version("rewrap", "v2")));
    StoredDataKey replaced =
        otherInstance().replace(created.revision(), r.withWrappings(both)).orElseThrow();
    assertNotEquals(created.revision(), replaced.revision());
    assertEquals(both, store().read(r.id()).orElseThrow().record().wrappings());
  }

  @Test
  void replace_staleRevision_isRefusedAndChangesNothing() {
    DataKeyRecord r = record(version("stale", "v1"), T0);
    StoredDataKey created = store().create(r).orElseThrow();
    StoredDataKey first = store().replace(created.revision(), r.withOneMoreWriterSlot())
        .orElseThrow();
    assertEquals(Optional.empty(),
        otherInstance().replace(created.revision(), r.withOneMoreWriterSlot()));
    assertEquals(first, store().read(r.id()).orElseThrow());
  }

  @Test
  void replace_changingIdentityOrHandingBackSlots_isIllegal() {
    DataKeyRecord r = record(version("identity", "v1"), T0).withOneMoreWriterSlot();
    StoredDataKey created = store().create(r).orElseThrow();
    assertThrows(IllegalArgumentException.class, () -> store().replace(created.revision(),
        new DataKeyRecord(r.id(), r.wrappings(), T0.plusSeconds(1), r.createdBy(), 2)));
    assertThrows(IllegalArgumentException.class, () -> store().replace(created.revision(),
        new DataKeyRecord(r.id(), r.wrappings(), T0, r.createdBy(), 1)));
    assertEquals(r, store().read(r.id()).orElseThrow().record());
  }

  @Test
  void slotClaims_racingWriters_eachSlotHandedOutOnce() throws Exception {
    DataKeyRecord r = record(version("slots", "v1"), T0);
    store().create(r).orElseThrow();
    int writers = 12;
    List<Long> slots = race(writers, i -> {
      DataKeyStore s = i % 2 == 0 ? store() : otherInstance();
      for (int attempt = 0; attempt < 200; attempt++) {
        StoredDataKey seen = s.read(r.id()).orElseThrow();
        if (s.replace(seen.revision(), seen.record().withOneMoreWriterSlot()).isPresent()) {
          return seen.record().writerSlots();
        }
      }
      throw new AssertionError("claim kept losing");
    });
    Set<Long> distinct = new HashSet<>(slots);
    assertEquals(writers, distinct.size(), "a slot went to two writers: " + slots);
    for (long s = 1; s <= writers; s++) {
      assertTrue(distinct.contains(s), "slot " + s + " missing: " + slots);
    }
    assertEquals(writers + 1, store().read(r.id()).orElseThrow().record().writerSlots());
  }

  @Test
  void newestWritable_choosesTheNewestRecordOfThatVersionNotTooOld() {
    KeyReference v1 = version("newest", "v1");
    KeyReference v2 = version("newest", "v2");
    DataKeyRecord old = record(v1, T0);
    DataKeyRecord newer = record(v1, T0.plusSeconds(60));
    DataKeyRecord otherVersion = record(v2, T0.plusSeconds(120));
    store().create(old).orElseThrow();
    store().create(newer).orElseThrow();
    store().create(otherVersion).orElseThrow();
    assertEquals(newer, otherInstance().newestWritable("azure-keyvault", v1, T0)
        .orElseThrow().record());
    assertEquals(Optional.empty(),
        otherInstance().newestWritable("azure-keyvault", v1, T0.plusSeconds(61)));
    assertEquals(Optional.empty(), otherInstance().newestWritable("pkcs11", v1, T0));
    assertEquals(otherVersion, store().newestWritable("azure-keyvault", v2,
        T0.plus(Duration.ofMinutes(1))).orElseThrow().record());
  }

  @Test
  void newestWritable_followsTheFirstWrappingAfterAReplace() {
    KeyReference v1 = version("reorder", "v1");
    KeyReference v2 = version("reorder", "v2");
    DataKeyRecord r = record(v1, T0);
    StoredDataKey created = store().create(r).orElseThrow();
    // Re-wrap puts a wrapping under v2 first: the record now counts as v2's, not v1's.
    store().replace(created.revision(), r.withWrappings(List.of(wrapping(v2), r.primary())))
        .orElseThrow();
    assertEquals(r.id(), otherInstance().newestWritable("azure-keyvault", v2, T0)
        .orElseThrow().record().id());
    assertEquals(Optional.empty(), otherInstance().newestWritable("azure-keyvault", v1, T0));
  }

  @Test
  void page_walksEveryRecordInIdOrder() {
    KeyReference v = version("page", "v1");
    Set<DataKeyId> mine = new HashSet<>();
    for (int i = 0; i < 7; i++) {
      mine.add(store().create(record(v, T0)).orElseThrow().record().id());
    }
    List<DataKeyId> seen = new ArrayList<>();
    DataKeyId after = null;
    while (true) {
      List<StoredDataKey> page = otherInstance().page(after, 3);
      page.forEach(s -> seen.add(s.record().id()));
      if (page.size() < 3) {
        break;
      }
      after = page.get(page.size() - 1).record().id();
    }
    List<DataKeyId> sorted = new ArrayList<>(seen);
    sorted.sort(null);
    assertEquals(sorted, seen, "pages in ascending id order");
    assertEquals(seen.size(), new HashSet<>(seen).size(), "no record twice");
    assertTrue(seen.containsAll(mine));
    assertThrows(IllegalArgumentException.class, () -> store().page(null, 0));
    assertThrows(IllegalArgumentException.class, () -> store().page(null, 1001));
  }

  /** Runs {@code task} on {@code n} threads released together; their results in order. */
  private static <T> List<T> race(int n, ThrowingFunction<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int at = i;
        futures.add(pool.submit(() -> {
          start.await();
          return task.apply(at);
        }));
      }
      start.countDown();
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        out.add(f.get(60, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** A task that may throw. */
  protected interface ThrowingFunction<T> {
    /** Runs for thread {@code i}. */
    T apply(int i) throws Exception;
  }
}
