package dev.cmk.state.azureblob;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobRequestConditions;
import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetRecord;
import dev.cmk.core.fleet.FleetStateStore;
import dev.cmk.core.fleet.FleetStateUnavailableException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A {@link FleetStateStore} in an Azure Storage blob container: one small JSON blob per key,
 * changed only by ETag-conditional writes, for services that have a storage account but no
 * database.
 *
 * <p>The blob of a key is named {@code <prefix><SHA-256 of the key id, lowercase hex>.json}, so
 * any key id maps to a valid blob name and distinct key ids to distinct names; the blob keeps the
 * key id itself, and a blob holding another key id is refused. The revision of a record is the
 * blob's ETag.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Conditional writes.</b> {@link #replace} uploads with {@code If-Match: <revision>}, or
 *       {@code If-None-Match: *} when there is no record yet, in one Put Blob request; Azure Storage
 *       evaluates the condition and the write atomically, so of two replicas replacing the same
 *       revision exactly one succeeds. A refused condition (412, or 409 {@code BlobAlreadyExists},
 *       or 404 {@code BlobNotFound} because the blob was deleted since it was read) is "another
 *       replica wrote first": the result is empty.
 *   <li><b>Strong reads.</b> Blob Storage is strongly consistent: a read after a successful write,
 *       by any client, returns that write or a later one.
 *   <li><b>Nothing is guessed.</b> Everything else — a missing container (which is not "no state":
 *       a deleted or misnamed container must not turn "refresh required" into "available"), an
 *       authentication or authorization failure, throttling, a timeout, an unreachable endpoint,
 *       a blob that is not a state of this key (malformed, another format, another key id, larger
 *       than 16 KiB) — throws {@link FleetStateUnavailableException}. Its message names the
 *       operation, the account and container names, the HTTP status and the storage error code,
 *       never the connection string, account key or SAS token. The SDK's exception is its cause.
 *   <li><b>Bounded calls.</b> Each call waits at most the configured timeout (default 10 s), on
 *       top of which the container client's own retry options apply; configure them short
 *       ({@code RequestRetryOptions}), because the guard retries at its next probe anyway.
 * </ul>
 *
 * <p>Deleting a key's blob (or the whole container and creating it again) is an explicit reset of
 * the fleet's state of that key — the equivalent of a refresh — and is left to operators.
 *
 * <h2>Thread safety</h2>
 * Immutable and safe for concurrent use (the SDK's {@code BlobContainerClient} is).
 */
public final class BlobFleetStateStore implements FleetStateStore {
  /** The default blob name prefix. */
  public static final String DEFAULT_PREFIX = "cmk-fleet-state/";

  /** The default timeout of one store call. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private static final HexFormat HEX = HexFormat.of();

  private final String prefix;
  private final BlobCalls<FleetStateUnavailableException> calls;

  private BlobFleetStateStore(BlobContainerClient container, String prefix, Duration timeout) {
    this.prefix = prefix;
    this.calls = new BlobCalls<>(container, timeout, FleetStateUnavailableException::new);
  }

  /** {@return a new builder} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The name of the blob that holds a key's state.
   *
   * @param keyId the key id
   * @return {@code <prefix><sha-256 hex of the key id's UTF-8>.json}
   * @throws IllegalArgumentException if the key id is outside the store contract's limits
   */
  public String blobName(String keyId) {
    FleetStateStore.checkKeyId(keyId);
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(keyId.getBytes(StandardCharsets.UTF_8));
      return prefix + HEX.formatHex(digest) + ".json";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public Optional<FleetRecord> read(String keyId) {
    String name = blobName(keyId);
    Optional<BlobCalls.Content> content = calls.download(name, FleetStateJson.MAX_BYTES,
        "read the state of key " + keyId, "read of key " + keyId,
        () -> malformed(name, keyId, "empty"));
    if (content.isEmpty()) {
      return Optional.empty();
    }
    try {
      FleetKeyState state = FleetStateJson.decode(content.get().bytes(), keyId);
      return Optional.of(new FleetRecord(state, content.get().etag()));
    } catch (FleetStateJson.MalformedStateException e) {
      throw malformed(name, keyId, e.getMessage());
    }
  }

  private FleetStateUnavailableException malformed(String name, String keyId, String why) {
    return new FleetStateUnavailableException(calls.where() + ": blob " + name
        + " is not a state of key " + keyId + " (" + why
        + "); delete it to reset the key's fleet state", null);
  }

  @Override
  public Optional<FleetRecord> replace(String keyId, @Nullable String expectedRevision,
      FleetKeyState next) {
    Objects.requireNonNull(next, "next");
    String name = blobName(keyId);
    if (expectedRevision != null && expectedRevision.isEmpty()) {
      throw new IllegalArgumentException("expectedRevision must not be empty");
    }
    BlobRequestConditions conditions = expectedRevision == null
        ? new BlobRequestConditions().setIfNoneMatch("*")
        : new BlobRequestConditions().setIfMatch(expectedRevision);
    // A refused condition is another replica having written (or deleted) the blob since it was
    // read: the result is empty.
    return calls.upload(name, FleetStateJson.encode(keyId, next), "application/json", conditions,
            expectedRevision == null, "write the state of key " + keyId, "write of key " + keyId)
        .map(etag -> new FleetRecord(next, etag));
  }

  @Override
  public String toString() {
    return "BlobFleetStateStore[" + calls.where() + ", prefix " + prefix + "]";
  }

  /**
   * Builds a {@link BlobFleetStateStore}: {@link #containerClient} (required; the credential
   * needs to read and write blobs), {@link #blobPrefix} (default {@value
   * BlobFleetStateStore#DEFAULT_PREFIX}; replicas with the same prefix are one fleet) and {@link
   * #timeout} (default 10 s, the longest one store call may take), each at most once.
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
    public BlobFleetStateStore build() {
      return new BlobFleetStateStore(container(), prefixOr(DEFAULT_PREFIX),
          timeoutOr(DEFAULT_TIMEOUT));
    }
  }
}
