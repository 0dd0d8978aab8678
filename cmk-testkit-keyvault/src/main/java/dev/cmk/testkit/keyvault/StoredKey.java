package dev.cmk.testkit.keyvault;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A key: its versions in creation order, and its deletion state (guarded by the vault's lock). */
final class StoredKey {
  final String name;
  final List<StoredVersion> versions = new ArrayList<>();
  long deletedDate;
  long scheduledPurgeDate;
  /** The rotation policy set with PUT (its JSON, without {@code id}); null for the default. */
  @Nullable Map<String, Object> rotationPolicy;
  @Nullable Long rotationPolicyCreated;

  StoredKey(String name) {
    this.name = name;
  }

  StoredVersion latest() {
    return versions.get(versions.size() - 1);
  }

  @Nullable StoredVersion version(String version) {
    for (StoredVersion v : versions) {
      if (v.version.equalsIgnoreCase(version)) {
        return v;
      }
    }
    return null;
  }
}
