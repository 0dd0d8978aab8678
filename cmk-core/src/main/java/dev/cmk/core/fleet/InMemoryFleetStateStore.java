package dev.cmk.core.fleet;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A {@link FleetStateStore} in this process's memory: the default, for one process (several
 * {@code EnvelopeCrypto} instances of one service in one JVM share it), and for tests. It does
 * not survive a restart; replicas in several processes need a shared store.
 *
 * <p>Thread-safe; conditional writes are atomic per key.
 */
public final class InMemoryFleetStateStore implements FleetStateStore {
  private final ConcurrentMap<String, FleetRecord> records = new ConcurrentHashMap<>();
  private final AtomicLong revisions = new AtomicLong();

  /** Creates an empty store. */
  public InMemoryFleetStateStore() {}

  @Override
  public Optional<FleetRecord> read(String keyId) {
    return Optional.ofNullable(records.get(FleetStateStore.checkKeyId(keyId)));
  }

  @Override
  public Optional<FleetRecord> replace(String keyId, @Nullable String expectedRevision,
      FleetKeyState next) {
    Objects.requireNonNull(next, "next");
    FleetRecord[] written = new FleetRecord[1];
    records.compute(FleetStateStore.checkKeyId(keyId), (k, current) -> {
      String currentRevision = current == null ? null : current.revision();
      if (!Objects.equals(currentRevision, expectedRevision)) {
        return current;
      }
      written[0] = new FleetRecord(next, Long.toString(revisions.incrementAndGet()));
      return written[0];
    });
    return Optional.ofNullable(written[0]);
  }

  @Override
  public String toString() {
    return "InMemoryFleetStateStore[" + records.size() + " keys]";
  }
}
