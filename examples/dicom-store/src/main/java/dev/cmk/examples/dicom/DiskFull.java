package dev.cmk.examples.dicom;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Recognises a write that failed because the file system is full (ENOSPC, EDQUOT). */
final class DiskFull {
  private DiskFull() {}

  /**
   * Whether {@code e} (or a cause) reports no space left, or the store's file system has none.
   *
   * @param e the failure
   * @param root the data directory
   * @return whether the disk is full
   */
  static boolean is(IOException e, Path root) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded")
          || m.contains("There is not enough space on the disk"))) {
        return true;
      }
    }
    try {
      return Files.getFileStore(root).getUsableSpace() == 0;
    } catch (IOException | RuntimeException ignored) {
      return false;
    }
  }
}
