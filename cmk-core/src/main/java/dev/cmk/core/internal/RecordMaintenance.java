package dev.cmk.core.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrappedKey;
import dev.cmk.core.RewrapOutcome;
import dev.cmk.core.RewrapProgress;
import dev.cmk.core.RewrapReport;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.RecordCensus;
import dev.cmk.core.datakey.StoredDataKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Format 2's rotation and retirement work on records, never on envelopes: re-wrap gives every
 * record a wrapping under the current write version (first, so readers use it), census counts
 * which versions wrap what, and removing a key's wrappings finishes a move. Each record is
 * changed by conditional replace, so concurrent runs and writers claiming slots do not lose each
 * other's changes; a record changed meanwhile is read again (a few times).
 */
public final class RecordMaintenance {
  static final int PAGE = 500;
  private static final int REPLACE_ATTEMPTS = 5;

  private final KeyAccess access;
  private final Records records;
  private final RecordReadDataKeys readKeys;
  private final Supplier<String> writeProviderId;
  private final AdditionalWrappings additional;
  /** Records found or made current, per target version: {@link #rewrapRecordOf} skips them. */
  private final Cache<RecordAndTarget, Boolean> current =
      Caffeine.newBuilder().maximumSize(10_000).build();

  public RecordMaintenance(KeyAccess access, Records records, RecordReadDataKeys readKeys,
      Supplier<String> writeProviderId, AdditionalWrappings additional) {
    this.access = access;
    this.records = records;
    this.readKeys = readKeys;
    this.writeProviderId = writeProviderId;
    this.additional = additional;
  }

  /** Counts, per key version, the records it wraps. Reads every record once; no key is used. */
  public RecordCensus census() {
    Map<Version, long[]> counts = new LinkedHashMap<>();
    long[] total = new long[1];
    forEachPage(page -> {
      for (StoredDataKey s : page) {
        total[0]++;
        List<WrappedKey> w = s.record().wrappings();
        for (int i = 0; i < w.size(); i++) {
          long[] c = counts.computeIfAbsent(
              new Version(w.get(i).providerId(), w.get(i).keyReference()), x -> new long[3]);
          c[0]++;
          c[1] += w.size() == 1 ? 1 : 0;
          c[2] += i == 0 ? 1 : 0;
        }
      }
      return true;
    });
    List<RecordCensus.VersionUse> uses = new ArrayList<>();
    counts.forEach((v, c) -> uses.add(
        new RecordCensus.VersionUse(v.providerId(), v.version(), c[0], c[1], c[2])));
    uses.sort(Comparator.comparingLong(RecordCensus.VersionUse::records).reversed());
    return new RecordCensus(total[0], uses);
  }

  /**
   * Gives every record a wrapping under the current write version, first in its list, and one
   * under each configured further key it lacks; wrappings under other versions stay (remove them
   * with {@link #removeWrappings} once every reader has the new key). One unwrap and one wrap per
   * record that needs it; a record already current is not written. A loss of key access stops the run; any other failure is reported per record.
   */
  public RewrapReport rewrapAll(RewrapProgress progress) {
    long start = System.nanoTime();
    KeyReference target = access.writeVersion();
    Counts n = new Counts();
    Map<KeyReference, Long> movedFrom = new LinkedHashMap<>();
    walk(progress, n, stored -> rewrapOne(stored, target, movedFrom));
    return new RewrapReport(target, n.total, n.changed, n.unchanged, n.failures, movedFrom,
        Duration.ofNanos(System.nanoTime() - start));
  }

  /**
   * Makes the record a format 2 envelope names current, as {@link #rewrapAll} does for every
   * record — the envelope itself never changes. Records found current are remembered (per target
   * version, up to 10,000), so a run over many envelopes of one record reads the store once.
   *
   * @return {@code REWRAPPED} if the record was changed, {@code ALREADY_CURRENT} if not
   * @throws KeyNotFoundException if the store has no such record
   */
  public RewrapOutcome rewrapRecordOf(DataKeyId id) {
    KeyReference target = access.writeVersion();
    RecordAndTarget seen = new RecordAndTarget(id, target);
    if (current.getIfPresent(seen) != null) {
      return RewrapOutcome.ALREADY_CURRENT;
    }
    StoredDataKey stored = records.read(id).orElseThrow(() -> new KeyNotFoundException(
        "no data-key record " + id + " in the configured data-key store", null));
    RewrapOutcome outcome = rewrapOne(stored, target, new LinkedHashMap<>());
    if (outcome == RewrapOutcome.FAILED) {
      throw new IllegalStateException("data-key record " + id + " changed meanwhile; run again");
    }
    current.put(seen, Boolean.TRUE);
    return outcome;
  }

  /** A census entry's key: the provider id and key version of a wrapping. */
  private record Version(String providerId, KeyReference version) {}

  private record RecordAndTarget(DataKeyId id, KeyReference target) {}

  /** One record brought to {@code target}: a new first wrapping, further keys added. */
  private RewrapOutcome rewrapOne(StoredDataKey stored, KeyReference target,
      Map<KeyReference, Long> movedFrom) {
    DataKeyRecord r = stored.record();
    List<AdditionalWrappings.Target> lacking = additional.missing(r);
    boolean lacksFurther = !lacking.isEmpty();
    boolean firstIsCurrent = isUnder(r.primary(), target);
    if (firstIsCurrent && !lacksFurther) {
      return RewrapOutcome.ALREADY_CURRENT;
    }
    Optional<WrappedKey> existing =
        r.wrappings().stream().filter(w -> isUnder(w, target)).findFirst();
    DataKey key = existing.isPresent() && !lacksFurther ? null
        : readKeys.dataKey(r.id().bytes());
    List<WrappedKey> next = new ArrayList<>();
    if (existing.isPresent()) {
      // Already wrapped under it (an additional key that became the write key): promote it only
      // once it is known to open this record — it was made with a public key, never checked.
      if (!firstIsCurrent && !readKeys.opens(r.id().bytes(), existing.get())) {
        throw new IllegalStateException("its wrapping under " + target
            + " does not open it: not promoted");
      }
      next.add(existing.get());
    } else {
      KeyReference version = access.versionForNewDataKey(target);
      next.add(access.wrap(version, key.secret()));
      movedFrom.merge(key.source() == null ? r.primary().keyReference()
          : KeyReference.parse(key.source().reference()), 1L, Long::sum);
    }
    r.wrappings().stream().filter(w -> !isUnder(w, target)).forEach(next::add);
    if (lacksFurther) {
      next.addAll(additional.wrapEach(lacking, key.secret()));
    }
    return replace(stored, next) ? RewrapOutcome.REWRAPPED : RewrapOutcome.FAILED;
  }

  /**
   * Removes the wrappings under {@code key} (that version, or every version of a versionless
   * reference) from records that keep another wrapping; a record wrapped under that key alone is
   * reported as a failure and left as it is (removing its last wrapping would lose every envelope
   * under it). No key is used.
   */
  public RewrapReport removeWrappings(KeyReference key, RewrapProgress progress) {
    long start = System.nanoTime();
    Predicate<WrappedKey> goes = key.isVersioned()
        ? w -> w.keyReference().equals(key)
        : w -> w.keyReference().versionless().equals(key);
    Counts n = new Counts();
    walk(progress, n, stored -> {
      List<WrappedKey> keep = new ArrayList<>(stored.record().wrappings());
      if (!keep.removeIf(goes)) {
        return RewrapOutcome.ALREADY_CURRENT;
      }
      if (keep.isEmpty()) {
        throw new IllegalStateException("the record is wrapped under " + key
            + " only: re-wrap it under another key first");
      }
      return replace(stored, keep) ? RewrapOutcome.REWRAPPED : RewrapOutcome.FAILED;
    });
    return new RewrapReport(key, n.total, n.changed, n.unchanged, n.failures, Map.of(),
        Duration.ofNanos(System.nanoTime() - start));
  }

  private boolean isUnder(WrappedKey w, KeyReference version) {
    return w.keyReference().equals(version) && w.providerId().equals(writeProviderId.get());
  }

  /** Replaces the record's wrappings, re-reading it if a writer changed it meanwhile. */
  private boolean replace(StoredDataKey stored, List<WrappedKey> wrappings) {
    StoredDataKey current = stored;
    for (int attempt = 0; attempt < REPLACE_ATTEMPTS; attempt++) {
      if (records.replace(current.revision(), current.record().withWrappings(wrappings))
          .isPresent()) {
        return true;
      }
      Optional<StoredDataKey> again = records.read(stored.record().id());
      if (again.isEmpty() || !again.get().record().wrappings()
          .equals(current.record().wrappings())) {
        return false; // gone, or its wrappings changed under us: leave it to the next run
      }
      current = again.get(); // only its slot count changed
    }
    return false;
  }

  private interface Step {
    RewrapOutcome apply(StoredDataKey stored);
  }

  private static final class Counts {
    long total;
    long changed;
    long unchanged;
    final List<RewrapReport.Failure> failures = new ArrayList<>();
  }

  private void walk(RewrapProgress progress, Counts n, Step step) {
    forEachPage(page -> {
      for (StoredDataKey s : page) {
        n.total++;
        String id = s.record().id().hex();
        RewrapOutcome outcome;
        try {
          outcome = step.apply(s);
        } catch (KeyAccessSuspendedException e) {
          n.failures.add(new RewrapReport.Failure(id, describe(e)));
          progress.onItem(id, RewrapOutcome.FAILED, n.total);
          return false; // every remaining record would fail the same way
        } catch (RuntimeException e) {
          n.failures.add(new RewrapReport.Failure(id, describe(e)));
          outcome = RewrapOutcome.FAILED;
        }
        if (outcome == RewrapOutcome.REWRAPPED) {
          n.changed++;
        } else if (outcome == RewrapOutcome.ALREADY_CURRENT) {
          n.unchanged++;
        } else if (n.failures.isEmpty()
            || !n.failures.get(n.failures.size() - 1).id().equals(id)) {
          n.failures.add(new RewrapReport.Failure(id, "the record changed meanwhile; run again"));
        }
        progress.onItem(id, outcome, n.total);
      }
      return true;
    });
  }

  /**
   * Hands every page of the store to {@code onPage}, in ascending id order, until it returns
   * false or the store has no more.
   */
  private void forEachPage(Predicate<List<StoredDataKey>> onPage) {
    for (DataKeyId after = null; ; ) {
      List<StoredDataKey> page = records.page(after, PAGE);
      checkAdvances(after, page);
      if (!onPage.test(page) || page.size() < PAGE) {
        return;
      }
      after = page.get(page.size() - 1).record().id();
    }
  }

  /** A page must hold ids in strictly ascending order, all after {@code after}: else we loop. */
  private static void checkAdvances(@Nullable DataKeyId after, List<StoredDataKey> page) {
    DataKeyId last = after;
    for (StoredDataKey s : page) {
      if (last != null && s.record().id().compareTo(last) <= 0) {
        throw new IllegalStateException("the data-key store's page is not in ascending id order");
      }
      last = s.record().id();
    }
  }

  private static String describe(Exception e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
