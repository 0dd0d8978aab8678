package dev.cmk.core;

import dev.cmk.api.KeyReference;
import dev.cmk.core.datakey.RecordCensus;
import dev.cmk.core.internal.RecordMaintenance;
import java.util.Objects;

/**
 * Rotation and retirement for format 2, done on the data-key store's records instead of on
 * envelopes: after a new key version or a move to another vault or HSM, {@link #rewrapAll} gives
 * every record a wrapping under the current write version (one unwrap and one wrap per record,
 * however many envelopes name it; no envelope is read or written), {@link #census()} says which
 * versions still wrap records, and {@link #removeWrappings} drops an old key's wrappings once
 * nothing needs them. Obtained from {@link EnvelopeCrypto#dataKeyRecords()}.
 *
 * <p>Runs are restartable: a record already current is skipped without a write, and each change
 * is a conditional replace, so two runs, or a run and writers claiming slots, never lose each
 * other's changes. The loss-of-access guard applies: a run stops at the first record refused
 * because the key is not accessible. Thread-safe.
 */
public final class DataKeyRecords {
  private final RecordMaintenance maintenance;

  DataKeyRecords(RecordMaintenance maintenance) {
    this.maintenance = maintenance;
  }

  /**
   * Counts, per key version, the records it wraps — how many only under it, and where it is the
   * preferred (first) wrapping. Reads every record once; no key is used.
   *
   * @return the census
   * @throws dev.cmk.core.datakey.DataKeyStoreUnavailableException if the store cannot answer
   */
  public RecordCensus census() {
    return maintenance.census();
  }

  /**
   * Gives every record a wrapping under the current write version and makes it the first, so
   * readers use it, and a wrapping under each {@linkplain
   * EnvelopeCryptoBuilder#additionalWrappingKey further key} it lacks (records made while that
   * key was unreachable); the other wrappings stay until {@link #removeWrappings}. A record whose
   * wrapping cannot be unwrapped (its version disabled, a forged wrapping) is reported and left
   * unchanged.
   *
   * @param progress called after each record, with its id
   * @return the report: records re-wrapped, already current, failed, and the versions moved from
   * @throws dev.cmk.api.KeyAccessSuspendedException if the key is not accessible when it starts
   */
  public RewrapReport rewrapAll(RewrapProgress progress) {
    return maintenance.rewrapAll(Objects.requireNonNull(progress, "progress"));
  }

  /**
   * Removes the wrappings under {@code key} from records that keep another wrapping — that
   * version if {@code key} names one (after a rotation, before disabling it), every version of a
   * versionless reference (the last step of a move to another vault or HSM) — after {@link
   * #rewrapAll} and once every reader is configured with the new key. A record wrapped under that
   * key alone is reported as a failure and left as it is. No key is used.
   *
   * @param key the version, or the versionless key, whose wrappings go
   * @param progress called after each record
   * @return the report ({@code rewrapped} counts the records changed)
   */
  public RewrapReport removeWrappings(KeyReference key, RewrapProgress progress) {
    return maintenance.removeWrappings(Objects.requireNonNull(key, "key"),
        Objects.requireNonNull(progress, "progress"));
  }
}
