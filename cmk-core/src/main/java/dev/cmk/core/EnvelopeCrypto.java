package dev.cmk.core;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.internal.AdditionalWrappings;
import dev.cmk.core.internal.ChannelRangeReader;
import dev.cmk.core.internal.DecryptingInputStream;
import dev.cmk.core.internal.DecryptionKeyCache;
import dev.cmk.core.internal.EncryptingOutputStream;
import dev.cmk.core.internal.CompactHeader;
import dev.cmk.core.internal.EnvelopeHeader;
import dev.cmk.core.internal.EnvelopeWriter;
import dev.cmk.core.internal.Header;
import dev.cmk.core.internal.Headers;
import dev.cmk.core.internal.KeyAccess;
import dev.cmk.core.internal.MessageCrypto;
import dev.cmk.core.internal.OneShot;
import dev.cmk.core.internal.ProviderCalls;
import dev.cmk.core.internal.Providers;
import dev.cmk.core.internal.ReadDataKeys;
import dev.cmk.core.internal.RecordMaintenance;
import dev.cmk.core.internal.RecordReadDataKeys;
import dev.cmk.core.internal.RecordWriteDataKeys;
import dev.cmk.core.internal.Records;
import dev.cmk.core.internal.Rewrapper;
import dev.cmk.core.internal.SafeObserver;
import dev.cmk.core.internal.VersionWatch;
import dev.cmk.core.internal.WriteDataKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Envelope encryption under a customer-managed key: encrypts and decrypts byte arrays, streams of
 * any size and byte ranges, with data keys wrapped by a {@link KeyEncryptionKeyProvider}.
 *
 * <pre>{@code
 * EnvelopeCrypto crypto = EnvelopeCrypto.builder()
 *     .provider(provider)
 *     .writeKey(KeyReference.parse("https://myvault.vault.azure.net/keys/patient-data"))
 *     .build();
 * byte[] envelope = crypto.encrypt(resourceJson, "Patient/123/1".getBytes(UTF_8));
 * byte[] plaintext = crypto.decrypt(envelope, "Patient/123/1".getBytes(UTF_8));
 * }</pre>
 *
 * <p><b>Security guarantees:</b> AES-256-GCM under a key derived by HMAC-SHA256 from the data key,
 * with nonces that never repeat under one body key (a per-envelope number handed out by the one
 * writer of that key, plus the segment counter). Format 1 (the default) authenticates its header
 * (key reference, wrapped key, segment size, nonce prefix) with an HMAC-SHA256 commitment tag
 * that also commits to the data key; format 2 ({@link EnvelopeCryptoBuilder#dataKeyStore}) names
 * a data-key record by an id that commits to the data key and authenticates its 48-byte header
 * with every segment. Either way an envelope decrypts under exactly one data key. The caller's associated
 * data is authenticated with every segment (it is <em>not</em> stored in the envelope; pass the
 * same bytes to decrypt). Truncation,
 * reordering, duplication and appended bytes are detected. No plaintext is released before the
 * segment carrying it has been authenticated. Every malformed, tampered or mismatched input ends in
 * {@link InvalidCiphertextException} (uniform message), or {@link UnsupportedFormatException} for
 * envelopes of a newer format; see {@code docs/envelope-format.md}.
 *
 * <p><b>Thread safety:</b> instances are immutable once built and safe for concurrent use. The
 * streams and range readers they return follow the usual rules of their types.
 */
public final class EnvelopeCrypto implements AutoCloseable {
  /** Default plaintext bytes per segment: 64 KiB. */
  public static final int DEFAULT_SEGMENT_SIZE = 64 * 1024;

  private final KeyAccessGuard guard;
  private final KeyAccess access;
  private final EnvelopeWriter writeKeys;
  private final ReadDataKeys readKeys;
  private final RecordReadDataKeys recordKeys; // null without a data-key store
  private final DataKeyRecords dataKeyRecords; // null without a data-key store
  private final RecordMaintenance maintenance; // null without a data-key store
  private final Rewrapper rewrapper;
  private final Diagnostics diagnostics;
  private final Keyring keyring;
  private final int segmentSize;
  private final @Nullable ScheduledFuture<?> backgroundProbe;

  EnvelopeCrypto(EnvelopeCryptoBuilder b) {
    Providers providers = new Providers(b.providers);
    if (b.decryptOnlyKeys != null) {
      b.decryptOnlyKeys.forEach(providers::keepReadable);
    }
    this.segmentSize = b.segmentSize;
    SecureRandom random = b.random != null ? b.random : new SecureRandom();
    Clock clock = b.clock != null ? b.clock : Clock.systemUTC();
    DataKeyCacheSettings cacheSettings =
        b.cacheSettings != null ? b.cacheSettings : DataKeyCacheSettings.DEFAULT;
    SafeObserver observer = SafeObserver.of(b.observer());
    DecryptionKeyCache decryptCache = new DecryptionKeyCache(
        cacheSettings.maxEntries(), cacheSettings.maxAge(), clock, observer);
    KeyVersionInventory inventory = new KeyVersionInventory(clock);
    Supplier<KeyConfiguration> configuration = b.configuration;
    if (b.fleetStore != null && b.writeKey == null && configuration == null) {
      // The fleet's record is the configured key's: an instance without one cannot share it,
      // and silently serving while the service requires a refresh would break the contract.
      throw new IllegalStateException("fleetState needs a write key (writeKey or "
          + "keyConfiguration): a decrypt-only instance has no key access state to share");
    }
    if (b.writeKey != null) {
      KeyEncryptionKeyProvider writeProvider =
          b.writeProviderId != null
              ? providers.forWriting(b.writeProviderId, b.writeKey)
              : providers.servingWrites(b.writeKey);
      KeyConfiguration fixed = new KeyConfiguration(writeProvider, b.writeKey);
      configuration = () -> fixed;
    }
    KeyAccessSettings accessSettings =
        b.accessSettings != null ? b.accessSettings : KeyAccessSettings.DEFAULT;
    ProviderCalls calls =
        new ProviderCalls(accessSettings, b.sleeper != null ? b.sleeper : Sleeper.system(),
            observer);
    VersionWatch watch =
        new VersionWatch(clock, accessSettings,
            w -> providers.serving(w.providerId(), w.keyReference()), calls,
            decryptCache::invalidate);
    this.guard = new KeyAccessGuard(clock, accessSettings, configuration, providers,
        this::purgeDataKeys, b.listeners, inventory, calls,
        new KeyConfirmation(b.policy != null ? b.policy : KeyPolicy.dicomService(), calls, random),
        watch, b.fleetStore, b.replicaName);
    this.access = guard.access();
    DataKeyLimits limits = b.dataKeyLimits != null ? b.dataKeyLimits : DataKeyLimits.DEFAULT;
    Records records = b.dataKeyStore != null ? new Records(b.dataKeyStore) : null;
    AdditionalWrappings additional = new AdditionalWrappings(b.additionalWrappingKeys,
        b.additionalWrappingsRequired, providers);
    this.writeKeys = b.effectiveWriteFormat() == 1
        ? new WriteDataKeys(access, limits, clock, random, decryptCache)
        : new RecordWriteDataKeys(access, records, limits, clock, random, decryptCache,
            () -> guard.configuredProvider().id(), b.replicaName != null ? b.replicaName : "",
            b.shareDataKeyRecords, additional);
    this.diagnostics = new Diagnostics(decryptCache, writeKeys, inventory, segmentSize);
    this.readKeys = new ReadDataKeys(access, decryptCache, providers);
    this.recordKeys = records == null ? null
        : new RecordReadDataKeys(access, decryptCache, providers, records);
    this.maintenance = records == null ? null
        : new RecordMaintenance(access, records, recordKeys,
            () -> guard.configuredProvider().id(), additional);
    this.dataKeyRecords = maintenance == null ? null : new DataKeyRecords(maintenance);
    this.rewrapper = new Rewrapper(access, readKeys, guard::configuredProvider, observer,
        this::rewrapRecordOf);
    this.keyring = new Keyring(providers, guard, decryptCache);
    guard.initialize();
    if (b.probeScheduler != null && configuration != null) {
      // Every second (or the backoff minimum, if shorter): cheap when nothing is due, and it
      // lets the guard's deadline probe run at the end of the grace period.
      long period = Math.min(1000, accessSettings.probeBackoffMin().toMillis());
      this.backgroundProbe = b.probeScheduler.scheduleWithFixedDelay(
          this::backgroundProbe, period, period, TimeUnit.MILLISECONDS);
    } else {
      this.backgroundProbe = null;
    }
  }

  /** The guard's purge on an authoritative loss (it runs only after construction finished). */
  private void purgeDataKeys() {
    diagnostics.purgeDataKeys();
  }

  private void backgroundProbe() {
    try {
      guard.probeIfDue();
    } catch (RuntimeException e) {
      // Never let the scheduler cancel the task; the guard has logged the event.
    }
  }

  /** {@return A new builder} */
  public static EnvelopeCryptoBuilder builder() {
    return new EnvelopeCryptoBuilder();
  }

  // ---------------------------------------------------------------- one-shot

  /**
   * Encrypts {@code plaintext} into a new envelope.
   *
   * @param plaintext the data
   * @param associatedData bound to the envelope (not stored); decrypt must be given the same
   *     bytes. Pass what identifies the stored object (e.g. {@code "Patient/123/1"}), so an
   *     envelope moved to another row does not decrypt; an empty array binds nothing.
   * @return the envelope
   * @throws IllegalStateException if no write key is configured
   * @throws IllegalArgumentException if the envelope would not fit in a byte array
   * @throws dev.cmk.api.KeyProviderException if a new data key was needed and could not be wrapped
   * @throws KeyAccessSuspendedException if the key is not accessible
   */
  public byte[] encrypt(byte[] plaintext, byte[] associatedData) {
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(associatedData, "associatedData");
    EnvelopeWriter.Begun begun = writeKeys.begin(plaintext.length, segmentSize, associatedData);
    return OneShot.seal(begun.header(), begun.crypto(), plaintext);
  }

  /**
   * Decrypts an envelope.
   *
   * @param envelope the envelope
   * @param associatedData the bytes given to encrypt
   * @return the plaintext, released only after every segment authenticated
   * @throws InvalidCiphertextException if the envelope is malformed, tampered, truncated or the
   *     associated data differs
   * @throws UnsupportedFormatException if the envelope is of a format this build cannot read
   * @throws dev.cmk.api.KeyProviderException if the data key could not be unwrapped
   * @throws KeyAccessSuspendedException if the key is not accessible
   */
  public byte[] decrypt(byte[] envelope, byte[] associatedData) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(associatedData, "associatedData");
    Header header = Headers.of(envelope);
    long plaintextLength = OneShot.plaintextLength(envelope, header); // checked before any unwrap
    return OneShot.open(envelope, header, plaintextLength, open(header, associatedData));
  }

  // ---------------------------------------------------------------- streaming

  /**
   * A stream that encrypts everything written to it into {@code sink} as one envelope, in
   * constant memory. The data key is obtained (and the header written) before this method
   * returns, so a write that cannot be encrypted fails before anything reaches {@code sink}.
   * {@link OutputStream#close()} seals the last segment and closes {@code sink}; an envelope
   * whose stream was not closed, or failed, does not decrypt. Every write asks the
   * loss-of-access guard, as a new write would: an upload that outlives the customer's revocation
   * fails with the guard's exception and the stream can then never be sealed. When the
   * plaintext's own source fails part-way, call {@link EnvelopeOutputStream#abort()}, not {@code
   * close()}: closing would seal what was written so far as a valid envelope of a shorter
   * plaintext. After a failure or an abort, discard what reached {@code sink}. The stream's bytes
   * count toward {@link DataKeyLimits#maxBytes()} (a stream in progress is not cut).
   *
   * @param sink where the envelope goes
   * @param associatedData bound to the envelope (not stored)
   * @return the encrypting stream (not thread-safe); {@code close()} seals, {@code abort()}
   *     abandons
   * @throws IOException if writing the header fails
   */
  public EnvelopeOutputStream encryptingStream(OutputStream sink, byte[] associatedData)
      throws IOException {
    Objects.requireNonNull(sink, "sink");
    Objects.requireNonNull(associatedData, "associatedData");
    // The size is not known yet: the stream counts its bytes toward the data key's limit.
    EnvelopeWriter.Begun begun = writeKeys.begin(0, segmentSize, associatedData);
    return new EncryptingOutputStream(
        sink, begun.header(), begun.crypto(), access, begun.usage());
  }

  /**
   * A stream that decrypts the envelope read from {@code source}, in constant memory. The header
   * is read and verified, and the data key unwrapped, before this method returns. Reads release a
   * segment's plaintext only after its tag verified and throw {@link InvalidCiphertextException}
   * (unchecked) on any tampering or truncation; end of stream is reported only after the last
   * segment verified. Before each segment the stream asks the loss-of-access guard, so a revoked
   * key stops an open stream within the probe interval ({@link KeyAccessSuspendedException},
   * nothing consumed: the stream continues once access is back). An {@link IOException} from
   * {@code source} keeps what was already read, so a retry continues where it stopped.
   *
   * @param source the envelope
   * @param associatedData the bytes given to encrypt
   * @return the decrypting stream (not thread-safe)
   * @throws IOException if reading the header fails
   * @throws InvalidCiphertextException if the header is malformed or does not verify
   */
  public InputStream decryptingStream(InputStream source, byte[] associatedData)
      throws IOException {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(associatedData, "associatedData");
    Header header = Headers.read(source);
    return new DecryptingInputStream(source, header, open(header, associatedData), access);
  }

  /**
   * Opens an envelope stored in a seekable channel (a file) for random-access decryption. The
   * header and the last segment (which proves the length) are authenticated here.
   *
   * @param envelope the channel; closed by {@link RangeReader#close()}, or by this method when it
   *     throws
   * @param associatedData the bytes given to encrypt
   * @return the reader
   * @throws InvalidCiphertextException if the envelope is malformed or does not verify
   * @throws UncheckedIOException if reading the channel fails
   */
  public RangeReader rangeReader(SeekableByteChannel envelope, byte[] associatedData) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(associatedData, "associatedData");
    boolean opened = false;
    try {
      long size = envelope.size();
      Header header;
      synchronized (envelope) {
        header = Headers.read(envelope);
      }
      EnvelopeInfo info = EnvelopeInfo.from(header, OptionalLong.of(size));
      long plaintextLength = info.plaintextLength().getAsLong();
      MessageCrypto crypto = open(header, associatedData);
      RangeReader reader =
          new ChannelRangeReader(envelope, header, crypto, info, plaintextLength, access);
      opened = true;
      return reader;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (!opened) {
        closeQuietly(envelope); // the reader would have owned it
      }
    }
  }

  private static KeyNotFoundException noDataKeyStore() {
    return new KeyNotFoundException("this envelope (format 2) names a data-key record, and no "
        + "data-key store is configured (EnvelopeCryptoBuilder.dataKeyStore)", null);
  }

  /** Brings the record a format 2 envelope names to the current write version. */
  private void rewrapRecordOf(CompactHeader header) {
    if (maintenance == null) {
      throw noDataKeyStore();
    }
    maintenance.rewrapRecordOf(header.dataKeyId());
  }

  /**
   * The body crypto of an envelope with this header: format 1 unwraps (or finds) the data key it
   * carries, format 2 the data key of the record it names.
   */
  private MessageCrypto open(Header header, byte[] associatedData) {
    if (header instanceof CompactHeader compact) {
      if (recordKeys == null) {
        throw noDataKeyStore();
      }
      return recordKeys.open(compact, associatedData);
    }
    return readKeys.open((EnvelopeHeader) header, associatedData);
  }

  private static void closeQuietly(SeekableByteChannel channel) {
    try {
      channel.close();
    } catch (IOException | RuntimeException e) {
      // the original failure is what the caller needs
    }
  }

  // ---------------------------------------------------------------- re-wrap

  /**
   * Re-wraps an envelope's data key under the current key version without touching the body: only
   * the header changes (same nonce prefix, new wrapped key, new commitment tag). The old header's
   * commitment is verified first, so a tampered header is never re-sealed. No associated data is
   * needed. An envelope already under the current version is returned as a copy.
   *
   * @param envelope the envelope
   * @return the re-wrapped envelope
   * @throws InvalidCiphertextException if the header is malformed or does not verify
   * @throws KeyAccessSuspendedException if the key is not accessible
   */
  public byte[] rewrap(byte[] envelope) {
    Objects.requireNonNull(envelope, "envelope");
    Header parsed = Headers.of(envelope);
    OneShot.plaintextLength(envelope, parsed);
    if (!(parsed instanceof EnvelopeHeader header)) {
      rewrapRecordOf((CompactHeader) parsed); // the envelope never changes; its record does
      return envelope.clone();
    }
    EnvelopeHeader replacement = rewrapper.rewrapHeader(header);
    if (replacement == null) {
      return envelope.clone();
    }
    int bodyLength = envelope.length - header.length();
    byte[] out = new byte[replacement.length() + bodyLength];
    System.arraycopy(replacement.bytes(), 0, out, 0, replacement.length());
    System.arraycopy(envelope, header.length(), out, replacement.length(), bodyLength);
    return out;
  }

  /**
   * Streaming {@link #rewrap(byte[])}: reads the header from {@code source}, writes the new header
   * to {@code sink} and copies the body unchanged, in constant memory. When the envelope is
   * already current nothing is written and {@link RewrapOutcome#ALREADY_CURRENT} is returned.
   * Neither stream is closed.
   *
   * @param source the stored envelope
   * @param sink where the re-wrapped envelope goes
   * @return {@code REWRAPPED} or {@code ALREADY_CURRENT}
   * @throws IOException if reading or writing fails
   * @throws InvalidCiphertextException if the header is malformed or does not verify
   * @throws KeyAccessSuspendedException if the key is not accessible
   */
  public RewrapOutcome rewrap(InputStream source, OutputStream sink) throws IOException {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(sink, "sink");
    Header header = Headers.read(source);
    if (header instanceof CompactHeader compact) {
      rewrapRecordOf(compact); // the envelope never changes; its record does
      return RewrapOutcome.ALREADY_CURRENT;
    }
    EnvelopeHeader replacement = rewrapper.rewrapHeader((EnvelopeHeader) header);
    if (replacement == null) {
      return RewrapOutcome.ALREADY_CURRENT;
    }
    sink.write(replacement.bytes());
    source.transferTo(sink);
    return RewrapOutcome.REWRAPPED;
  }

  /**
   * Re-wraps many stored envelopes, reusing unwraps through the data-key cache and wraps across
   * envelopes that share a data key. Items already under the current version are skipped without
   * opening their sink, so an interrupted run can simply be started again. A failing item
   * (malformed, tampered, or naming a key version this identity may not use) is reported and left
   * unchanged; the run goes on, except that a loss of access to the configured key stops it (the
   * remaining items would all fail).
   *
   * @param items the envelopes
   * @param progress called after each item
   * @return the report
   * @throws KeyAccessSuspendedException if the key is not accessible when the run starts
   */
  public RewrapReport rewrapAll(Iterable<? extends RewrapItem> items, RewrapProgress progress) {
    Objects.requireNonNull(items, "items");
    Objects.requireNonNull(progress, "progress");
    return rewrapper.rewrapAll(items, progress);
  }

  // ---------------------------------------------------------------- state and diagnostics

  /**
   * The loss-of-access guard: status for health endpoints, {@code refresh()} after the grace
   * period or a configuration change.
   *
   * @return the guard
   */
  public KeyAccessGuard keyAccess() {
    return guard;
  }

  /**
   * The write key and the keys this instance only decrypts: inspect them, retire a key that is no
   * longer needed, declare one readable.
   *
   * @return the keyring
   */
  public Keyring keyring() {
    return keyring;
  }

  /**
   * Format 2's records: re-wrap after a rotation or a move (records, not envelopes), census of the
   * key versions that wrap them, removal of an old key's wrappings.
   *
   * @return the record maintenance of the configured data-key store
   * @throws IllegalStateException if no data-key store is configured
   */
  public DataKeyRecords dataKeyRecords() {
    if (dataKeyRecords == null) {
      throw new IllegalStateException("no data-key store is configured (format 1 re-wraps "
          + "envelopes: rewrap / rewrapAll)");
    }
    return dataKeyRecords;
  }

  /** {@return cached data keys, data keys made, the key-version inventory, and an explicit purge} */
  public Diagnostics diagnostics() {
    return diagnostics;
  }

  /**
   * Destroys cached data keys and stops the background probe. Does not close the providers, which
   * the application owns.
   */
  @Override
  public void close() {
    if (backgroundProbe != null) {
      backgroundProbe.cancel(false);
    }
    diagnostics.purgeDataKeys();
  }
}
