package dev.cmk.examples.dicom;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists stored instances from the data directory's layout ({@code <study>/<series>/<sop><suffix>}),
 * skipping every name that is not a valid UID (such as {@code .incoming}).
 */
final class StoredKeys {
  private StoredKeys() {}

  /**
   * The instances under a study (and series).
   *
   * @param root the data directory
   * @param suffix the file name suffix
   * @param study a study UID, or null for all
   * @param series a series UID, or null for all
   * @return the keys, in UID order
   * @throws IOException if a directory cannot be listed
   */
  static List<InstanceKey> list(Path root, String suffix, String study, String series)
      throws IOException {
    List<InstanceKey> keys = new ArrayList<>();
    for (Path st : children(root, study)) {
      for (Path se : children(st, series)) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(se, "*" + suffix)) {
          for (Path f : files) {
            String name = f.getFileName().toString();
            String sop = name.substring(0, name.length() - suffix.length());
            if (DicomUid.isValid(sop)) {
              keys.add(new InstanceKey(st.getFileName().toString(), se.getFileName().toString(),
                  sop));
            }
          }
        }
      }
    }
    keys.sort((a, b) -> a.toString().compareTo(b.toString()));
    return keys;
  }

  private static List<Path> children(Path dir, String only) throws IOException {
    if (only != null) {
      Path p = dir.resolve(only);
      return Files.isDirectory(p) ? List.of(p) : List.of();
    }
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> d = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path p : d) {
        if (DicomUid.isValid(p.getFileName().toString())) {
          out.add(p);
        }
      }
    }
    return out;
  }
}
