package dev.cmk.core.datakey;

import dev.cmk.api.KeyReference;
import java.util.List;
import java.util.Objects;

/**
 * Which key-encryption key versions wrap the records in a data-key store: the durable answer to
 * "may this old version be disabled yet?". A version whose {@link VersionUse#onlyWrapping()} is
 * zero wraps no record by itself; once re-wrap has given every record a wrapping under the new
 * version ({@code onlyWrapping} of the old version 0 and {@code records} of the new equal to
 * {@link #records()}), disabling the old version loses nothing.
 *
 * @param records records counted
 * @param versions every version that wraps at least one record, most records first
 */
public record RecordCensus(long records, List<VersionUse> versions) {
  /**
   * Copies the list.
   *
   * @param records records counted
   * @param versions per version
   */
  public RecordCensus {
    versions = List.copyOf(versions);
  }

  /**
   * How many records one version wraps.
   *
   * @param providerId the provider id recorded with the wrapping
   * @param version the key version
   * @param records records with a wrapping under it
   * @param onlyWrapping records whose only wrapping is under it: unreadable once it is disabled
   * @param preferred records where it is the first wrapping (the one readers use)
   */
  public record VersionUse(String providerId, KeyReference version, long records,
      long onlyWrapping, long preferred) {
    /**
     * Validates.
     *
     * @param providerId provider id
     * @param version key version
     * @param records records with a wrapping under it
     * @param onlyWrapping records wrapped under it alone
     * @param preferred records where it is first
     */
    public VersionUse {
      Objects.requireNonNull(providerId, "providerId");
      Objects.requireNonNull(version, "version");
    }
  }
}
