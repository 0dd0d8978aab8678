package dev.cmk.core;

import dev.cmk.api.KeyReference;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Which key-encryption key versions the envelopes this instance handled reference: how often each
 * was seen (decrypted, or recorded from {@link EnvelopeInfo#of}), when last, and how many
 * envelopes were moved off it by re-wrap. Lets an operator tell when an old version may be
 * disabled: once no envelope under it has been seen since the last bulk re-wrap finished.
 *
 * <p>Only envelopes whose header authenticated are counted by decrypt, so forged headers cannot
 * grow it. Bounded to {@value #MAX_VERSIONS} versions. Thread-safe.
 */
public final class KeyVersionInventory {
  /** Most versions tracked. */
  public static final int MAX_VERSIONS = 10_000;

  /**
   * Usage of one version.
   *
   * @param version the key version
   * @param seen envelopes decrypted or inspected under it
   * @param lastSeen when last seen (to the second), or {@code null} if only re-wrapped
   * @param rewrappedAway envelopes re-wrapped from it to a newer version
   */
  public record Usage(
      KeyReference version, long seen, @Nullable Instant lastSeen, long rewrappedAway) {}

  private final Clock clock;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  KeyVersionInventory(Clock clock) {
    this.clock = clock;
  }

  void recordSeen(String keyReference) {
    Entry e = entry(keyReference);
    if (e != null) {
      e.seen.increment();
      // Written at most once a second per version, so that concurrent decryptions under one
      // version do not all write the same cache line.
      Instant now = clock.instant();
      Instant last = e.lastSeen.get();
      if (last == null || now.isBefore(last) || now.isAfter(last.plusSeconds(1))) {
        e.lastSeen.set(now);
      }
    }
  }

  void recordRewrapped(String keyReference) {
    Entry e = entry(keyReference);
    if (e != null) {
      e.rewrappedAway.incrementAndGet();
    }
  }

  /**
   * Records an envelope found by {@link EnvelopeInfo#of} (e.g. while scanning storage). A format
   * 2 envelope names a data-key record, not a key version, and is not counted here: its record's
   * wrappings are (see the data-key store's census).
   *
   * @param info the inspected header
   */
  public void record(EnvelopeInfo info) {
    Objects.requireNonNull(info, "info").key()
        .ifPresent(k -> recordSeen(k.keyReference().toString()));
  }

  private @Nullable Entry entry(String ref) {
    Entry e = entries.get(ref);
    if (e == null && entries.size() < MAX_VERSIONS) {
      e = entries.computeIfAbsent(ref, r -> new Entry());
    }
    return e;
  }

  /** {@return every tracked version, most recently seen first} */
  public List<Usage> versions() {
    List<Usage> out = new ArrayList<>();
    entries.forEach(
        (ref, e) ->
            out.add(
                new Usage(KeyReference.parse(ref), e.seen.sum(), e.lastSeen.get(), e.rewrappedAway.get())));
    out.sort(
        Comparator.comparing(
            Usage::lastSeen, Comparator.nullsLast(Comparator.<Instant>reverseOrder())));
    return out;
  }

  /**
   * Usage of one version, if tracked.
   *
   * @param version the key version
   * @return the usage, if tracked
   */
  public java.util.Optional<Usage> usage(KeyReference version) {
    return versions().stream().filter(u -> u.version().equals(version)).findFirst();
  }

  /**
   * Versions of {@code key} not seen since {@code instant} (candidates for disabling).
   *
   * @param key the key (any version)
   * @param instant e.g. when the last bulk re-wrap finished
   * @return versions tracked for the key with no sighting since then
   */
  public List<KeyReference> unusedSince(KeyReference key, Instant instant) {
    List<KeyReference> out = new ArrayList<>();
    for (Usage u : versions()) {
      if (u.version().sameKeyAs(key) && (u.lastSeen() == null || u.lastSeen().isBefore(instant))) {
        out.add(u.version());
      }
    }
    return out;
  }

  /** Last sighting of a version, when tracked. */
  @Nullable Instant lastSeen(String ref) {
    Entry e = entries.get(ref);
    return e == null ? null : e.lastSeen.get();
  }

  private static final class Entry {
    final LongAdder seen = new LongAdder();
    final AtomicReference<Instant> lastSeen = new AtomicReference<>();
    final AtomicLong rewrappedAway = new AtomicLong();
  }
}
