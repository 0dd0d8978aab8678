package dev.cmk.core.soak;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.CmkException;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.KeyAccessEvent;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.RangeReader;
import dev.cmk.core.RewrapItem;
import dev.cmk.core.RewrapReport;
import dev.cmk.testkit.MemoryChannel;
import dev.cmk.testkit.Fault;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Soak with faults: for a bounded wall time (default 40 s, {@code -Dcmk.soak.seconds}), writers
 * (one-shot and streaming uploads), readers (one-shot, streaming, byte ranges) and a re-wrapper
 * running {@link EnvelopeCrypto#rewrapAll} over everything stored, all on one {@link
 * EnvelopeCrypto} with a versionless write key, while a chaos loop on a {@link ManualClock} cycles
 * through every fault kind in random order: transient bursts, throttling with retry-after, denied
 * calls, a revoked identity, a disabled version, key deletion and recovery, latency spikes, an
 * outage long enough to trip on transient failures, one long enough to need an explicit refresh,
 * and rotations.
 *
 * <p>Then, with the provider healed: every acknowledged write decrypts with a fresh reader to what
 * was written; the store holds exactly the acknowledged objects and no upload was ever left with
 * bytes in it by a refused write; no read, ever, saw an acknowledged envelope fail authentication
 * or return other bytes; failures during the run were only the documented ones; every trip of the
 * guard was followed by a recovery; a last {@code rewrapAll} moves everything to the current
 * version. Prints operations, faults injected, trips and recoveries. {@code -Dcmk.soak.seed}
 * replays a schedule (thread timing still varies).
 *
 * <p>{@code NothingLostTest} is the short unit-test cousin (rotations, disables, transient faults);
 * this one adds deletion and recovery, identity revocation, latency, refresh-required outages,
 * streaming and range reads, and re-wrapping running concurrently with everything else.
 */
class FaultInjectionSoakIT {
  private static final int WRITERS = 3;
  private static final int READERS = 2;
  private static final int MAX_VERSIONS = 8;

  /** What the chaos loop does to the provider (or the clock). */
  enum FaultKind {
    TRANSIENT_BURST,
    THROTTLED,
    DENIED_CALLS,
    IDENTITY_REVOKED,
    VERSION_DISABLED,
    KEY_DELETED,
    LATENCY_SPIKE,
    PERSISTENT_OUTAGE,
    REFRESH_REQUIRED_OUTAGE,
    ROTATION
  }

  private final long seed = Long.getLong("cmk.soak.seed", System.nanoTime());
  private final Duration wall = Duration.ofSeconds(Long.getLong("cmk.soak.seconds", 40));
  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider provider =
      InMemoryKeyProvider.builder().id("soak").clock(clock).build();
  private final FaultInjectingProvider faults = FaultInjectingProvider.wrapping(provider);
  private final KeyReference first = provider.manager().createKey("soak-kek", 2048);
  private final List<KeyReference> versions = new CopyOnWriteArrayList<>(List.of(first));
  private final BlobStore store = new BlobStore();
  private final Map<String, byte[]> acknowledged = new ConcurrentHashMap<>();
  private final List<String> acknowledgedIds = Collections.synchronizedList(new ArrayList<>());
  private final List<String> unexpected = new CopyOnWriteArrayList<>();
  private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
  private final Map<FaultKind, AtomicLong> injected = new EnumMap<>(FaultKind.class);
  private final AtomicLong trips = new AtomicLong();
  private final AtomicLong recoveries = new AtomicLong();
  private final AtomicLong refreshRequired = new AtomicLong();
  private final AtomicLong purges = new AtomicLong();
  private final AtomicLong rotationsPickedUp = new AtomicLong();
  private final AtomicBoolean stop = new AtomicBoolean();
  private EnvelopeCrypto crypto;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void concurrentTrafficUnderRandomFaults_everyAcknowledgedWriteDecryptsAndNothingPartialIsLeft()
      throws Exception {
    for (FaultKind k : FaultKind.values()) {
      injected.put(k, new AtomicLong());
    }
    crypto = EnvelopeCrypto.builder()
        .provider(faults)
        .writeKey(first.versionless())
        .clock(clock)
        .sleeper(clock::advance)
        .segmentSize(256)
        .dataKeyLimits(new DataKeyLimits(25, Long.MAX_VALUE, Duration.ofMinutes(10)))
        .listener(this::onEvent)
        .build();

    long started = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS + READERS + 1);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      int worker = w;
      workers.add(pool.submit(() -> writer(worker)));
    }
    for (int r = 0; r < READERS; r++) {
      int reader = r;
      workers.add(pool.submit(() -> reader(reader)));
    }
    workers.add(pool.submit(this::rewrapper));
    try {
      chaos(started + wall.toNanos());
    } finally {
      stop.set(true);
      for (Future<?> f : workers) {
        f.get(2, TimeUnit.MINUTES);
      }
      pool.shutdown();
    }

    heal();
    // The writer comes back by an explicit refresh whatever state the last fault left it in.
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().refresh().state());
    KeyReference current = crypto.keyAccess().status().currentVersion();
    assertEquals(versions.get(versions.size() - 1), current, "the latest version is in use");

    // With the provider healthy, one more pass moves every object to the current version.
    RewrapReport last = crypto.rewrapAll(items(), (id, outcome, done) -> { });
    assertTrue(last.failures().isEmpty(), "final re-wrap failed: " + last.failures());

    EnvelopeCrypto fresh = EnvelopeCrypto.builder().provider(faults).clock(clock).build();
    for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
      byte[] envelope = store.get(e.getKey()).orElseThrow(
          () -> new AssertionError("acknowledged object " + e.getKey() + " is missing"));
      try {
        assertArrayEquals(e.getValue(), fresh.decrypt(envelope, aad(e.getKey())), e.getKey());
      } catch (CmkException ex) {
        throw new AssertionError(
            "acknowledged write " + e.getKey() + " does not decrypt (seed " + seed + ")", ex);
      }
      assertEquals(current, EnvelopeInfo.of(envelope).keyReference(), e.getKey());
    }
    System.out.println(summary(Duration.ofNanos(System.nanoTime() - started).toSeconds(), last));

    assertTrue(unexpected.isEmpty(), "seed " + seed + ": " + unexpected);
    assertEquals(acknowledged.keySet(), store.ids(), "objects that were never acknowledged");
    assertEquals(0, store.partialUploads(), "refused streaming writes that left bytes behind");
    assertEquals(0, store.openUploads(), "uploads neither finished nor aborted");
    assertEquals(trips.get(), recoveries.get(), "every trip was followed by a recovery");
    // The run exercised what it claims to.
    assertTrue(acknowledged.size() > 200, "acknowledged writes: " + acknowledged.size());
    assertTrue(count("write.refused") > 0, "no write was ever refused");
    assertTrue(count("read.ok") > 200, "reads: " + count("read.ok"));
    assertTrue(count("read.refused") > 0, "no read was ever refused");
    assertTrue(trips.get() >= 3, "trips: " + trips.get());
    assertTrue(refreshRequired.get() >= 1, "never reached refresh-required");
    assertTrue(purges.get() >= 1, "no authoritative loss purged the data keys");
    assertTrue(store.replacements() > 0, "re-wrap never committed an object");
    for (FaultKind k : FaultKind.values()) {
      assertTrue(injected.get(k).get() > 0, "fault never injected: " + k);
    }
  }

  // ------------------------------------------------------------------ traffic

  private Void writer(int worker) {
    Random r = new Random(seed * 31 + worker);
    for (int n = 0; !stop.get(); n++) {
      String id = "w" + worker + "-" + n;
      byte[] data = new byte[r.nextInt(10) == 0 ? 256 * (1 + r.nextInt(12)) : r.nextInt(1500)];
      r.nextBytes(data);
      try {
        if (r.nextBoolean()) {
          store.put(id, crypto.encrypt(data, aad(id)));
          count("write.ok.oneshot", 1);
        } else {
          BlobStore.Upload upload = store.upload(id);
          OutputStream out;
          try {
            out = crypto.encryptingStream(upload, aad(id));
          } catch (RuntimeException e) {
            upload.abort(); // counted as a partial object if the refused write sent any byte
            throw e;
          }
          try {
            int at = 0;
            while (at < data.length) {
              int chunk = Math.min(data.length - at, 1 + r.nextInt(400));
              out.write(data, at, chunk);
              at += chunk;
            }
          } catch (RuntimeException | java.io.IOException e) {
            // Refused mid-stream (access lost while uploading): discard, as a service must.
            upload.discard();
            count("write.discarded-mid-stream", 1);
            throw e;
          }
          out.close(); // publishes the object
          count("write.ok.stream", 1);
        }
        acknowledged.put(id, data);
        acknowledgedIds.add(id);
        sleepQuietly(4); // a steady request rate, not a flood: keeps the final check quick
      } catch (KeyAccessSuspendedException | KeyProviderUnavailableException e) {
        count("write.refused." + e.getClass().getSimpleName(), 1);
        sleepQuietly(1);
      } catch (Exception | Error e) {
        unexpected.add("write " + id + ": " + e);
      }
    }
    return null;
  }

  private Void reader(int worker) {
    Random r = new Random(seed * 37 + worker);
    while (!stop.get()) {
      String id;
      synchronized (acknowledgedIds) {
        if (acknowledgedIds.isEmpty()) {
          id = null;
        } else {
          id = acknowledgedIds.get(r.nextInt(acknowledgedIds.size()));
        }
      }
      if (id == null) {
        Thread.yield();
        continue;
      }
      byte[] expected = acknowledged.get(id);
      byte[] envelope = store.get(id).orElseThrow();
      int mode = r.nextInt(3);
      try {
        switch (mode) {
          case 0:
            check(id, expected, crypto.decrypt(envelope, aad(id)));
            count("read.ok.oneshot", 1);
            break;
          case 1:
            check(id, expected,
                crypto.decryptingStream(new ByteArrayInputStream(envelope), aad(id))
                    .readAllBytes());
            count("read.ok.stream", 1);
            break;
          default:
            try (RangeReader range = crypto.rangeReader(MemoryChannel.of(envelope), aad(id))) {
              int offset = r.nextInt(expected.length + 1);
              int length = r.nextInt(expected.length - offset + 1);
              check(id, Arrays.copyOfRange(expected, offset, offset + length),
                  range.read(offset, length));
            }
            count("read.ok.range", 1);
            break;
        }
        sleepQuietly(2);
      } catch (KeyAccessSuspendedException | KeyProviderUnavailableException
          | KeyNotFoundException | KeyAccessDeniedException e) {
        count("read.refused." + e.getClass().getSimpleName(), 1);
        sleepQuietly(1);
      } catch (InvalidCiphertextException e) {
        unexpected.add("read " + id + " (mode " + mode + "): acknowledged envelope failed to"
            + " authenticate");
      } catch (Exception | Error e) {
        unexpected.add("read " + id + " (mode " + mode + "): " + e);
      }
    }
    return null;
  }

  private void check(String id, byte[] expected, byte[] actual) {
    if (!Arrays.equals(expected, actual)) {
      unexpected.add("read " + id + ": returned other bytes than were written");
    }
  }

  private Void rewrapper() {
    while (!stop.get()) {
      try {
        RewrapReport report = crypto.rewrapAll(items(), (id, outcome, done) -> { });
        count("rewrap.runs", 1);
        count("rewrap.rewrapped", report.rewrapped());
        count("rewrap.alreadyCurrent", report.alreadyCurrent());
        for (RewrapReport.Failure f : report.failures()) {
          String type = f.error().split(":", 2)[0];
          if (type.equals("KeyAccessSuspendedException")
              || type.equals("KeyProviderUnavailableException")
              || type.equals("KeyNotFoundException") || type.equals("KeyAccessDeniedException")) {
            count("rewrap.failed." + type, 1);
          } else {
            unexpected.add("rewrap " + f.id() + ": " + f.error());
          }
        }
      } catch (KeyAccessSuspendedException | KeyProviderUnavailableException e) {
        count("rewrap.refused." + e.getClass().getSimpleName(), 1);
      } catch (Exception | Error e) {
        unexpected.add("rewrapAll: " + e);
      }
      sleepQuietly(50);
    }
    return null;
  }

  private List<RewrapItem> items() {
    List<String> ids;
    synchronized (acknowledgedIds) {
      ids = new ArrayList<>(acknowledgedIds);
    }
    List<RewrapItem> items = new ArrayList<>(ids.size());
    for (String id : ids) {
      items.add(RewrapItem.ofBytes(id, () -> store.get(id).orElseThrow(),
          bytes -> store.replace(id, bytes)));
    }
    return items;
  }

  private static byte[] aad(String id) {
    return ("soak/" + id).getBytes(StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------ chaos

  /** Cycles through every fault kind in random order until the deadline (at least once). */
  private void chaos(long deadlineNanos) {
    Random rnd = new Random(seed);
    List<FaultKind> kinds = new ArrayList<>(List.of(FaultKind.values()));
    do {
      Collections.shuffle(kinds, rnd);
      for (FaultKind kind : kinds) {
        Runnable heal = inject(kind, rnd);
        steps(2 + rnd.nextInt(4), rnd);
        heal.run();
        steps(2 + rnd.nextInt(3), rnd);
        refreshIfRequired();
      }
    } while (System.nanoTime() < deadlineNanos);
  }

  /** Starts a fault (and counts it); returns what ends it. */
  private Runnable inject(FaultKind kind, Random rnd) {
    Operation[] ops = {Operation.DESCRIBE, Operation.WRAP, Operation.UNWRAP};
    if (kind != FaultKind.ROTATION) {
      injected.get(kind).incrementAndGet();
    }
    switch (kind) {
      case TRANSIENT_BURST:
        faults.failNext(ops[rnd.nextInt(3)], 1 + rnd.nextInt(4), Fault.transientFailure());
        return () -> { };
      case THROTTLED:
        faults.failNext(ops[rnd.nextInt(3)], 1 + rnd.nextInt(3),
            Fault.transientFailure(Duration.ofSeconds(1 + rnd.nextInt(5))));
        return () -> { };
      case DENIED_CALLS:
        faults.failNext(ops[rnd.nextInt(3)], 1 + rnd.nextInt(2),
            Fault.denied(KeyAccessDeniedException.Reason.UNSPECIFIED));
        return () -> { };
      case IDENTITY_REVOKED:
        faults.denyIdentity(true);
        return () -> faults.denyIdentity(false);
      case VERSION_DISABLED:
        KeyReference latest = versions.get(versions.size() - 1);
        provider.manager().setEnabled(latest, false);
        return () -> provider.manager().setEnabled(latest, true);
      case KEY_DELETED:
        provider.manager().deleteKey(first);
        return () -> provider.manager().recoverKey(first);
      case LATENCY_SPIKE:
        faults.setLatency(Duration.ofMillis(20 + rnd.nextInt(80)));
        return () -> faults.setLatency(Duration.ZERO);
      case PERSISTENT_OUTAGE:
        for (Operation op : ops) {
          faults.setFault(op, Fault.transientFailure());
        }
        clock.advance(Duration.ofMinutes(3)); // past the transient trip threshold
        return () -> {
          for (Operation op : ops) {
            faults.clearFault(op);
          }
        };
      case REFRESH_REQUIRED_OUTAGE:
        faults.denyIdentity(true);
        clock.advance(Duration.ofMinutes(2)); // the confirmation is stale: the probe runs now
        crypto.keyAccess().probeIfDue();
        clock.advance(Duration.ofMinutes(31)); // past the grace period
        return () -> faults.denyIdentity(false);
      case ROTATION:
        if (versions.size() < MAX_VERSIONS) { // key generation is slow; enough versions is enough
          versions.add(provider.manager().rotateKey(first));
          injected.get(kind).incrementAndGet();
        }
        return () -> { };
      default:
        throw new AssertionError(kind);
    }
  }

  private void steps(int n, Random rnd) {
    for (int i = 0; i < n; i++) {
      clock.advance(Duration.ofSeconds(5 + rnd.nextInt(56)));
      sleepQuietly(30);
    }
  }

  private void refreshIfRequired() {
    if (crypto.keyAccess().status().state() == KeyAccessState.REFRESH_REQUIRED) {
      try {
        crypto.keyAccess().refresh();
        count("refresh.ok", 1);
      } catch (CmkException stillFailing) {
        count("refresh.failed", 1); // a scripted failure was still pending; next round retries
      }
    }
  }

  private void heal() {
    faults.clearFaults();
    faults.denyIdentity(false);
    faults.setLatency(Duration.ZERO);
    for (KeyReference v : versions) {
      provider.manager().setEnabled(v, true);
    }
  }

  private void onEvent(KeyAccessEvent event) {
    if (event instanceof KeyAccessEvent.StateChanged) {
      KeyAccessEvent.StateChanged c = (KeyAccessEvent.StateChanged) event;
      boolean wasAvailable = c.from().state() == KeyAccessState.AVAILABLE;
      boolean isAvailable = c.to().state() == KeyAccessState.AVAILABLE;
      if (wasAvailable && !isAvailable) {
        trips.incrementAndGet();
      } else if (!wasAvailable && isAvailable) {
        recoveries.incrementAndGet();
      }
      if (c.to().state() == KeyAccessState.REFRESH_REQUIRED) {
        refreshRequired.incrementAndGet();
      }
    } else if (event instanceof KeyAccessEvent.DataKeysPurged) {
      purges.incrementAndGet();
    } else if (event instanceof KeyAccessEvent.RotationPickedUp) {
      rotationsPickedUp.incrementAndGet();
    }
  }

  // ------------------------------------------------------------------ bookkeeping

  private void count(String name, long n) {
    counters.computeIfAbsent(name, k -> new LongAdder()).add(n);
  }

  /** Sum of every counter whose name starts with {@code prefix}. */
  private long count(String prefix) {
    return counters.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
        .mapToLong(e -> e.getValue().sum()).sum();
  }

  private String summary(long seconds, RewrapReport last) {
    Map<String, Long> ops = new TreeMap<>();
    counters.forEach((k, v) -> ops.put(k, v.sum()));
    return String.format(
        "fault soak: seed=%d wall=%ds simulated=%s%n"
            + "  operations: %s%n"
            + "  faults injected: %s%n"
            + "  guard: trips=%d recoveries=%d refresh-required=%d data-key-purges=%d"
            + " rotations-picked-up=%d%n"
            + "  store: objects=%d re-wrap commits=%d partial uploads=%d; final re-wrap: %d moved,"
            + " %d already current; key versions=%d",
        seed, seconds, Duration.between(ManualClock.create().instant(), clock.instant()),
        ops, injected, trips.get(), recoveries.get(), refreshRequired.get(), purges.get(),
        rotationsPickedUp.get(), store.ids().size(), store.replacements(),
        store.partialUploads(), last.rewrapped(), last.alreadyCurrent(), versions.size());
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
