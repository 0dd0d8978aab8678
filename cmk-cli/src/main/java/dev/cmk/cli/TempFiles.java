package dev.cmk.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The temporary files this process is writing right now, so that an interrupt ({@code Ctrl-C},
 * {@code kill}) removes them on the way out. A hard kill ({@code kill -9}, power loss) cannot run
 * anything: its leftovers are removed by the next run on the same target ({@link Leftovers}).
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
final class TempFiles {
  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
  private static final AtomicBoolean HOOKED = new AtomicBoolean();

  private TempFiles() {}

  /** Remembers a temporary file until {@link #release}. */
  static void register(Path temp) {
    LIVE.add(temp);
  }

  /** Forgets a temporary file (renamed into place, or deleted). */
  static void release(Path temp) {
    LIVE.remove(temp);
  }

  /** Installs (once) the shutdown hook that deletes the temporary files still being written. */
  static void deleteOnSignal() {
    if (HOOKED.compareAndSet(false, true)) {
      Runtime.getRuntime().addShutdownHook(new Thread(TempFiles::deleteAll, "cmk-temp-cleanup"));
    }
  }

  private static void deleteAll() {
    for (Path p : LIVE) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException | RuntimeException e) {
        // best effort on the way out; the next run on this target removes it (Leftovers)
      }
    }
  }
}
