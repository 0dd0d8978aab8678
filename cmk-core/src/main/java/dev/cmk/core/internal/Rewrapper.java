package dev.cmk.core.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.RewrapItem;
import dev.cmk.core.RewrapOutcome;
import dev.cmk.core.RewrapProgress;
import dev.cmk.core.RewrapReport;
import dev.cmk.core.RewrapSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Re-wraps envelopes under the current write key version by replacing only their header: the
 * old header's commitment is verified under the data key first (a tampered header is never
 * re-sealed), the data key is wrapped under the current version, and the new header keeps the
 * nonce prefix, so the body is copied unchanged. Wraps are reused across envelopes that share a
 * data key (up to 10,000 data keys remembered).
 *
 * <p>Thread-safe.
 */
public final class Rewrapper {
  private static final int REMEMBERED_WRAPS = 10_000;

  private final KeyAccess access;
  private final ReadDataKeys readKeys;
  private final Supplier<KeyEncryptionKeyProvider> writer;
  private final SafeObserver observer; // null: not observed
  private final java.util.function.Consumer<CompactHeader> recordRewrap;
  private final Cache<WrapKey, WrappedKey> wraps =
      Caffeine.newBuilder().maximumSize(REMEMBERED_WRAPS).build();

  public Rewrapper(KeyAccess access, ReadDataKeys readKeys,
      Supplier<KeyEncryptionKeyProvider> writer, SafeObserver observer,
      java.util.function.Consumer<CompactHeader> recordRewrap) {
    this.recordRewrap = recordRewrap;
    this.access = access;
    this.readKeys = readKeys;
    this.writer = writer;
    this.observer = observer;
  }

  /** The re-sealed header under the current version, or null when already current. */
  public @Nullable EnvelopeHeader rewrapHeader(EnvelopeHeader header) {
    KeyReference target = access.writeVersion();
    if (header.providerId().equals(writer.get().id())
        && header.keyReferenceText().equals(target.toString())) {
      return null;
    }
    WrapKey cacheKey = new WrapKey(header.routingBytes(), target);
    return readKeys.withDataKey(header, dataKey -> {
      WrappedKey wrapped = wraps.getIfPresent(cacheKey);
      if (wrapped == null) {
        // A new wrapping of a data key: in strict-writes mode the key is confirmed first.
        KeyReference version = access.versionForNewDataKey(target);
        wrapped = access.wrap(version, dataKey.secret());
        if (version.equals(target)) {
          wraps.put(cacheKey, wrapped);
        }
      }
      EnvelopeHeader replacement =
          EnvelopeHeader.create(header.segmentSize(), header.noncePrefix(), wrapped);
      MessageCrypto.verifyAndReseal(dataKey, header, replacement);
      access.recordRewrapped(header.keyReferenceText());
      return replacement;
    });
  }

  /** One stored envelope: {@code REWRAPPED} or {@code ALREADY_CURRENT} (sink not opened). */
  RewrapOutcome rewrapOne(RewrapItem item, Map<KeyReference, Long> movedFrom)
      throws IOException {
    try (InputStream in = item.openSource()) {
      Header read = Headers.read(in);
      if (!(read instanceof EnvelopeHeader header)) {
        // Format 2: the envelope never changes; the record it names is brought up to date.
        recordRewrap.accept((CompactHeader) read);
        return RewrapOutcome.ALREADY_CURRENT;
      }
      EnvelopeHeader replacement = rewrapHeader(header);
      if (replacement == null) {
        return RewrapOutcome.ALREADY_CURRENT;
      }
      try (RewrapSink sink = item.openSink()) {
        OutputStream out = sink.stream();
        out.write(replacement.bytes());
        in.transferTo(out);
        out.flush();
        sink.commit();
      }
      movedFrom.merge(header.keyReference(), 1L, Long::sum);
      return RewrapOutcome.REWRAPPED;
    }
  }

  /**
   * Re-wraps many stored envelopes; a failing item is reported and left unchanged, and the run
   * goes on, except that a loss of key access stops it (the remaining items would all fail).
   */
  public RewrapReport rewrapAll(Iterable<? extends RewrapItem> items, RewrapProgress progress) {
    long startNanos = System.nanoTime();
    KeyReference target = access.writeVersion();
    long total = 0;
    long rewrapped = 0;
    long current = 0;
    List<RewrapReport.Failure> failures = new ArrayList<>();
    Map<KeyReference, Long> movedFrom = new LinkedHashMap<>();
    for (RewrapItem item : items) {
      total++;
      RewrapOutcome outcome;
      try {
        outcome = rewrapOne(item, movedFrom);
      } catch (KeyAccessSuspendedException e) {
        failures.add(new RewrapReport.Failure(item.id(), describe(e)));
        observed(RewrapOutcome.FAILED);
        progress.onItem(item.id(), RewrapOutcome.FAILED, total);
        break;
      } catch (IOException | RuntimeException e) {
        failures.add(new RewrapReport.Failure(item.id(), describe(e)));
        outcome = RewrapOutcome.FAILED;
      }
      if (outcome == RewrapOutcome.REWRAPPED) {
        rewrapped++;
      } else if (outcome == RewrapOutcome.ALREADY_CURRENT) {
        current++;
      }
      observed(outcome);
      progress.onItem(item.id(), outcome, total);
    }
    return new RewrapReport(target, total, rewrapped, current, failures, movedFrom,
        Duration.ofNanos(System.nanoTime() - startNanos));
  }

  private void observed(RewrapOutcome outcome) {
    if (observer != null) {
      observer.rewrapItem(outcome);
    }
  }

  private static String describe(Exception e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  /** A data key (by its routing bytes) and the version it is re-wrapped under. */
  private record WrapKey(byte[] routing, KeyReference target) {
    @Override
    public boolean equals(Object o) {
      return o instanceof WrapKey && Arrays.equals(((WrapKey) o).routing, routing)
          && ((WrapKey) o).target.equals(target);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(routing) + target.hashCode();
    }

    @Override
    public String toString() {
      return "WrapKey[" + routing.length + " routing bytes -> " + target + "]";
    }
  }
}
