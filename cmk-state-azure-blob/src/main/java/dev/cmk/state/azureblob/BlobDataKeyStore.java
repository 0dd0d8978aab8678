package dev.cmk.state.azureblob;

import org.jspecify.annotations.Nullable;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import dev.cmk.api.KeyReference;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.DataKeyStoreUnavailableException;
import dev.cmk.core.datakey.StoredDataKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link DataKeyStore} in an Azure Storage blob container: format v2's data-key records, one
 * blob per record, changed only by ETag-conditional writes, for services that have a storage
 * account but no database.
 *
 * <p>Layout under the prefix (default {@value #DEFAULT_PREFIX}): {@code records/<id>} holds the
 * record's bytes ({@link DataKeyRecord#toBytes()}) and is the source of truth; the revision is its
 * ETag. {@code by-primary/<sha-256 of provider id and key reference>/<inverted creation
 * time>-<id>} is an empty marker per record that {@link #newestWritable} lists, newest first (see
 * {@link DataKeyBlobNames}). A marker is written after its record: a crash in between leaves a
 * record that is readable but not joinable by other writers (they make their own); a marker whose
 * record is missing, or whose record no longer has that primary, is skipped.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Conditional writes.</b> {@link #create} uploads with {@code If-None-Match: *} and
 *       {@link #replace} with {@code If-Match: <revision>}, each one Put Blob request that Azure
 *       Storage evaluates atomically: of several writers creating one id or replacing one
 *       revision exactly one succeeds. Writer slots are handed out this way, so this is what
 *       keeps nonces unique across writers.
 *   <li><b>Strong reads.</b> Blob Storage is strongly consistent: a read after a successful
 *       write, by any client, returns that write or a later one.
 *   <li><b>Nothing is guessed.</b> A missing container, an authentication or authorization
 *       failure, throttling, a timeout or an unreachable endpoint throws {@link
 *       DataKeyStoreUnavailableException}, naming the operation, account, container, record id,
 *       HTTP status and storage error code, never the connection string, account key or SAS
 *       token. A record blob that is not a well-formed record of its id is reported as {@link
 *       IllegalArgumentException} (the engine refuses the envelope as invalid), never as "no
 *       record".
 *   <li><b>Bounded calls.</b> Each request waits at most the configured timeout (default 10 s),
 *       on top of which the container client's retry options apply.
 * </ul>
 *
 * <p><b>Cost:</b> create is two Put Blob requests (record, marker); read one Get Blob; replace
 * one Get Blob and one Put Blob (plus a marker when the primary changes); newestWritable one List
 * Blobs and one Get Blob in the usual case. {@link #page} lists {@code records/} from the id
 * after {@code after} with List Blobs' {@code startFrom} (service version 2026-02-06): a
 * service that ignores it (Azurite today) lists from the first record, and the store skips the
 * ids up to {@code after} — correct, but a full walk then lists O(n²/limit) names.
 *
 * <p>The store never deletes a blob: every envelope under a record needs it.
 *
 * <h2>Thread safety</h2>
 * Immutable and safe for concurrent use (the SDK's {@code BlobContainerClient} is).
 */
public final class BlobDataKeyStore implements DataKeyStore {
  /** The default blob name prefix. */
  public static final String DEFAULT_PREFIX = "cmk-data-keys/";

  /** The default timeout of one request. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  /** Largest record blob read: a record of 16 wrappings of the longest references is ~34 KiB. */
  static final int MAX_RECORD_BYTES = 64 * 1024;

  /** Markers listed per request in {@link #newestWritable} (the newest comes first). */
  private static final int MARKERS_PER_PAGE = 16;

  private final BlobContainerClient container;
  private final DataKeyBlobNames names;
  private final Duration timeout;
  private final String where;
  private final BlobCalls<DataKeyStoreUnavailableException> calls;

  private BlobDataKeyStore(BlobContainerClient container, String prefix, Duration timeout) {
    this.container = container;
    this.names = new DataKeyBlobNames(prefix);
    this.timeout = timeout;
    this.calls = new BlobCalls<>(container, timeout, DataKeyStoreUnavailableException::new);
    this.where = calls.where();
  }

  /** {@return a new builder} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The name of the blob that holds a record.
   *
   * @param id the record's id
   * @return {@code <prefix>records/<id>}
   */
  public String blobName(DataKeyId id) {
    return names.record(Objects.requireNonNull(id, "id"));
  }

  @Override
  public Optional<StoredDataKey> create(DataKeyRecord record) {
    Objects.requireNonNull(record, "record");
    Optional<String> etag = upload(record, new BlobRequestConditions().setIfNoneMatch("*"),
        "create", true);
    if (etag.isEmpty()) {
      // The id exists. If it holds exactly this record, it is our own create that succeeded and
      // whose answer was lost (the SDK retried it): the id is a 256-bit function of a fresh data
      // key, so nobody else made it.
      Optional<StoredDataKey> there = read(record.id());
      if (there.isPresent() && there.get().record().equals(record)) {
        writeMarker(record);
        return there;
      }
      return Optional.empty();
    }
    writeMarker(record);
    return Optional.of(new StoredDataKey(record, etag.get()));
  }

  @Override
  public Optional<StoredDataKey> read(DataKeyId id) {
    Objects.requireNonNull(id, "id");
    String name = names.record(id);
    Optional<BlobCalls.Content> content = calls.download(name, MAX_RECORD_BYTES + 1L,
        "read data-key record " + id, "read of data-key record " + id,
        () -> malformed(name, "empty"));
    if (content.isEmpty()) {
      return Optional.empty();
    }
    byte[] bytes = content.get().bytes();
    if (bytes.length > MAX_RECORD_BYTES) {
      throw malformed(name, "larger than " + MAX_RECORD_BYTES + " bytes");
    }
    DataKeyRecord record;
    try {
      record = DataKeyRecord.fromBytes(bytes);
    } catch (IllegalArgumentException e) {
      throw malformed(name, e.getMessage());
    }
    if (!record.id().equals(id)) {
      throw malformed(name, "it holds the record of " + record.id());
    }
    return Optional.of(new StoredDataKey(record, content.get().etag()));
  }

  private IllegalArgumentException malformed(String name, String why) {
    return new IllegalArgumentException(where + ": blob " + name
        + " is not a well-formed data-key record (" + why + ")");
  }

  @Override
  public Optional<StoredDataKey> replace(String expectedRevision, DataKeyRecord next) {
    Objects.requireNonNull(expectedRevision, "expectedRevision");
    Objects.requireNonNull(next, "next");
    Optional<StoredDataKey> current = read(next.id());
    if (current.isEmpty() || !current.get().revision().equals(expectedRevision)) {
      return Optional.empty();
    }
    DataKeyStore.checkReplacement(current.get().record(), next);
    Optional<String> etag = upload(next, new BlobRequestConditions().setIfMatch(expectedRevision),
        "replace", false);
    if (etag.isEmpty()) {
      return Optional.empty();
    }
    if (!names.marker(next).equals(names.marker(current.get().record()))) {
      writeMarker(next); // a new primary: writers configured with it may join the record
    }
    return Optional.of(new StoredDataKey(next, etag.get()));
  }

  /** Uploads a record's bytes under {@code conditions}: its ETag, or empty if refused. */
  private Optional<String> upload(DataKeyRecord record, BlobRequestConditions conditions,
      String operation, boolean creating) {
    // Refused: the id exists (create), or the record changed or vanished (replace).
    return calls.upload(names.record(record.id()), record.toBytes(), "application/octet-stream",
        conditions, creating, operation + " data-key record " + record.id(),
        operation + " of data-key record " + record.id());
  }

  /**
   * Writes the record's marker under its primary (after the record). A failure is reported as
   * unavailable: the record is stored but not joinable, and the caller does not use it.
   */
  private void writeMarker(DataKeyRecord record) {
    try {
      container.getBlobClient(names.marker(record)).getBlockBlobClient().uploadWithResponse(
          new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(new byte[0])), timeout,
          Context.NONE);
    } catch (RuntimeException e) {
      throw unavailable("index data-key record " + record.id(), e);
    }
  }

  @Override
  public Optional<StoredDataKey> newestWritable(String providerId, KeyReference primary,
      Instant notBefore) {
    return newest(new Writable(providerId, primary, notBefore));
  }

  /** What {@link #newestWritable} looks for: a record under a primary, made at or after a time. */
  private record Writable(String providerId, KeyReference primary, Instant notBefore) {
    Writable {
      Objects.requireNonNull(providerId, "providerId");
      Objects.requireNonNull(primary, "primary");
      Objects.requireNonNull(notBefore, "notBefore");
    }

    /** Whether {@code record} (read through a marker, which may be stale) is one. */
    boolean matches(DataKeyRecord record) {
      return record.primary().providerId().equals(providerId)
          && record.primary().keyReference().equals(primary)
          && !record.createdAt().isBefore(notBefore);
    }
  }

  private Optional<StoredDataKey> newest(Writable wanted) {
    String folder = names.markers(wanted.providerId(), wanted.primary());
    String what = "find the newest data-key record under " + wanted.primary();
    try {
      for (BlobItem item : container.listBlobs(new ListBlobsOptions().setPrefix(folder)
          .setMaxResultsPerPage(MARKERS_PER_PAGE), timeout)) {
        Optional<DataKeyBlobNames.Marker> marker =
            DataKeyBlobNames.parseMarker(item.getName().substring(folder.length()));
        if (marker.isEmpty()) {
          continue;
        }
        if (marker.get().createdAt().isBefore(wanted.notBefore())) {
          return Optional.empty(); // newest first: every later marker is older still
        }
        Optional<StoredDataKey> found = read(marker.get().id());
        if (found.isPresent() && wanted.matches(found.get().record())) {
          return found;
        }
        // A marker without its record, or of a primary the record no longer has: ignored.
      }
      return Optional.empty();
    } catch (DataKeyStoreUnavailableException | IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      throw unavailable(what, e);
    }
  }

  @Override
  public List<StoredDataKey> page(@Nullable DataKeyId after, int limit) {
    DataKeyStore.checkPageSize(limit);
    ListBlobsOptions options = new ListBlobsOptions().setPrefix(names.records)
        .setMaxResultsPerPage(Math.min(5000, limit + 1));
    if (after != null) {
      options.setStartFrom(names.record(after));
    }
    List<StoredDataKey> page = new ArrayList<>(Math.min(limit, 64));
    String what = "list the data-key records after " + (after == null ? "the start" : after);
    try {
      for (BlobItem item : container.listBlobs(options, timeout)) {
        Optional<DataKeyId> id = names.recordId(item.getName());
        if (id.isEmpty() || (after != null && id.get().compareTo(after) <= 0)) {
          continue; // not a record's name, or at or before "after" (startFrom ignored)
        }
        read(id.get()).ifPresent(page::add); // deleted since listed: skipped
        if (page.size() == limit) {
          break;
        }
      }
      return page;
    } catch (DataKeyStoreUnavailableException | IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      throw unavailable(what, e);
    }
  }

  private DataKeyStoreUnavailableException unavailable(String operation, RuntimeException e) {
    return calls.unavailable(operation, e);
  }

  @Override
  public String toString() {
    return "BlobDataKeyStore[" + where + ", prefix " + names.records.substring(0,
        names.records.length() - "records/".length()) + "]";
  }

  /**
   * Builds a {@link BlobDataKeyStore}: {@link #containerClient} (required; the credential needs to
   * read, write and list blobs), {@link #blobPrefix} (default {@value
   * BlobDataKeyStore#DEFAULT_PREFIX}; every instance that reads or writes a service's envelopes
   * needs the same prefix) and {@link #timeout} (default 10 s), each at most once.
   *
   * <p>Not thread-safe; the store it builds is.
   */
  public static final class Builder extends BlobStoreBuilder<Builder> {
    private Builder() {}

    /**
     * Builds the store; makes no network call.
     *
     * @return the store
     * @throws IllegalStateException if no container client was set
     */
    public BlobDataKeyStore build() {
      return new BlobDataKeyStore(container(), prefixOr(DEFAULT_PREFIX),
          timeoutOr(DEFAULT_TIMEOUT));
    }
  }
}
