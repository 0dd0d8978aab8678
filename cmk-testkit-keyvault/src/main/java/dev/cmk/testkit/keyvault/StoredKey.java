package dev.cmk.testkit.keyvault;

import java.util.ArrayList;
import java.util.List;

/** A key: its versions in creation order, and its deletion state (guarded by the vault's lock). */
final class StoredKey {
  final String name;
  final List<StoredVersion> versions = new ArrayList<>();
  long deletedDate;
  long scheduledPurgeDate;

  StoredKey(String name) {
    this.name = name;
  }

  StoredVersion latest() {
    return versions.get(versions.size() - 1);
  }

  StoredVersion version(String version) {
    for (StoredVersion v : versions) {
      if (v.version.equalsIgnoreCase(version)) {
        return v;
      }
    }
    return null;
  }
}
