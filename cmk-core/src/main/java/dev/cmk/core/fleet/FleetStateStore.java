package dev.cmk.core.fleet;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Where the replicas of one service share the loss-of-access state of their configured keys: one
 * record per key, changed only by conditional writes.
 *
 * <p>Contract for implementations (pinned by {@code FleetStateStoreContract} in cmk-core's test
 * jar):
 * <ul>
 *   <li>{@link #read} returns the last value written for the key, with its revision, or empty;
 *       it never returns a value older than one this or another replica has been told was
 *       written (read-your-writes across replicas).
 *   <li>{@link #replace} writes only if the stored revision is still {@code expectedRevision}
 *       ({@code null}: no record yet), atomically; of two replicas replacing the same revision,
 *       exactly one succeeds. A new revision differs from every earlier one of the key.
 *   <li>Key ids are the configured keys' versionless references: up to 1,024 characters of
 *       printable ASCII; stores must keep them exactly (or map them injectively).
 *   <li>Failures to reach the store throw {@link FleetStateUnavailableException}, never another
 *       exception type, and never answer "empty" or "written" when they do not know.
 * </ul>
 *
 * <p>The guard calls the store at most once per probe interval per instance to read, and once
 * per state change to write; never per request. Implementations must be thread-safe.
 */
public interface FleetStateStore {

  /** The longest key id a store must accept. */
  int MAX_KEY_ID_LENGTH = 1024;

  /**
   * Reads the fleet's state of a key.
   *
   * @param keyId the configured key's versionless reference
   * @return the record, or empty if no replica has recorded one
   * @throws FleetStateUnavailableException if the store cannot answer
   */
  Optional<FleetRecord> read(String keyId);

  /**
   * Writes {@code next} if the key's stored revision is still {@code expectedRevision}.
   *
   * @param keyId the configured key's versionless reference
   * @param expectedRevision the revision read before, or {@code null} if there was no record
   * @param next the state to record
   * @return the new record, or empty if another replica wrote first (read again and decide)
   * @throws FleetStateUnavailableException if the store cannot answer (the write may or may not
   *     have happened; the caller reads again)
   */
  Optional<FleetRecord> replace(
      String keyId, @Nullable String expectedRevision, FleetKeyState next);

  /**
   * Checks a key id against the contract's limits (for implementations).
   *
   * @param keyId the key id
   * @return {@code keyId}
   * @throws IllegalArgumentException if it is empty, too long or not printable ASCII
   */
  static String checkKeyId(String keyId) {
    if (keyId == null || keyId.isEmpty() || keyId.length() > MAX_KEY_ID_LENGTH
        || !keyId.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException(
          "key id must be 1-" + MAX_KEY_ID_LENGTH + " printable ASCII characters");
    }
    return keyId;
  }
}
