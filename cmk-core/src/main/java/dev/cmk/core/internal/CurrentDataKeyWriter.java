package dev.cmk.core.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * What both envelope writers share: the current data key in use ({@code A}: a format 1 data key
 * or a format 2 writer slot, each with its usage), its replacement and its destruction, and the
 * count of data keys made.
 *
 * <p>Replacing and invalidating lock this object, as a subclass's roll does, so that a key is
 * destroyed only once it is no longer current.
 *
 * @param <A> the writer's state of its current data key
 */
abstract class CurrentDataKeyWriter<A extends KeyUsage> implements EnvelopeWriter {
  private final AtomicReference<@Nullable A> current = new AtomicReference<>();
  private final AtomicLong dataKeysCreated = new AtomicLong();

  /** {@return the current data key's state, or null before the first write or after invalidate} */
  final @Nullable A current() {
    return current.get();
  }

  /**
   * Makes {@code next} current and destroys the data key of {@code replaced} (the one current
   * before, if any). Called by a subclass's roll, which holds this object's lock.
   */
  final void replace(@Nullable A replaced, A next) {
    current.set(next);
    if (replaced != null) {
      replaced.key.destroy();
    }
  }

  /** Counts a data key made (a new format 1 data key or format 2 record). */
  final void countCreated() {
    dataKeysCreated.incrementAndGet();
  }

  @Override
  public final synchronized void invalidate() {
    A a = current.getAndSet(null);
    if (a != null) {
      a.key.destroy();
    }
  }

  @Override
  public final long dataKeysCreated() {
    return dataKeysCreated.get();
  }
}
