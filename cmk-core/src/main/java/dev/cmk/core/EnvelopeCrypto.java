package dev.cmk.core;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.internal.BodyLayout;
import dev.cmk.core.internal.ChannelRangeReader;
import dev.cmk.core.internal.DataKey;
import dev.cmk.core.internal.DecryptingInputStream;
import dev.cmk.core.internal.DecryptionKeyCache;
import dev.cmk.core.internal.EncryptingOutputStream;
import dev.cmk.core.internal.EnvelopeHeader;
import dev.cmk.core.internal.KeyAccess;
import dev.cmk.core.internal.KeyVersionId;
import dev.cmk.core.internal.MessageCrypto;
import dev.cmk.core.internal.ProviderCalls;
import dev.cmk.core.internal.Providers;
import dev.cmk.core.internal.VersionWatch;
import dev.cmk.core.internal.WriteDataKeys;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cmk.api.WrappedKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

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
 * with nonces that never repeat under one data key (a per-envelope prefix handed out by the writer
 * that made the data key, plus the segment counter); the header (key reference, wrapped key,
 * segment size, nonce prefix) is authenticated by an HMAC-SHA256 commitment tag that also commits
 * to the data key, so an envelope decrypts under exactly one data key. The caller's associated
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

  private final Providers providers;
  private final KeyAccessGuard guard;
  private final KeyAccess access;
  private final WriteDataKeys writeKeys;
  private final DecryptionKeyCache decryptCache;
  private final KeyVersionInventory inventory;
  private final Cache<RewrapKey, WrappedKey> rewrapWraps;
  private final int segmentSize;
  private final Clock clock;
  private final ScheduledFuture<?> backgroundProbe;

  private EnvelopeCrypto(Builder b) {
    this.providers = new Providers(b.providers);
    this.segmentSize = b.segmentSize;
    SecureRandom random = b.random != null ? b.random : new SecureRandom();
    this.clock = b.clock != null ? b.clock : Clock.systemUTC();
    DataKeyCacheSettings cacheSettings =
        b.cacheSettings != null ? b.cacheSettings : DataKeyCacheSettings.DEFAULT;
    this.decryptCache =
        new DecryptionKeyCache(cacheSettings.maxEntries(), cacheSettings.maxAge(), clock);
    this.inventory = new KeyVersionInventory(clock);
    this.rewrapWraps = Caffeine.newBuilder().maximumSize(10_000).build();
    Supplier<KeyConfiguration> configuration = b.configuration;
    if (b.writeKey != null) {
      KeyEncryptionKeyProvider writeProvider =
          b.writeProviderId != null
              ? providers.forWriting(b.writeProviderId, b.writeKey)
              : servingProvider(b.writeKey);
      KeyConfiguration fixed = new KeyConfiguration(writeProvider, b.writeKey);
      configuration = () -> fixed;
    }
    KeyAccessSettings accessSettings =
        b.accessSettings != null ? b.accessSettings : KeyAccessSettings.DEFAULT;
    ProviderCalls calls =
        new ProviderCalls(accessSettings, b.sleeper != null ? b.sleeper : Sleeper.system());
    VersionWatch watch =
        new VersionWatch(clock, accessSettings, providers::get, calls, decryptCache::invalidate);
    this.guard =
        new KeyAccessGuard(
            clock,
            accessSettings,
            configuration,
            providers,
            this::purgeDataKeys,
            b.listeners,
            inventory,
            calls,
            new KeyConfirmation(
                b.policy != null ? b.policy : KeyPolicy.dicomService(), calls, random),
            watch);
    this.access = guard.access();
    this.writeKeys =
        new WriteDataKeys(
            access,
            b.dataKeyLimits != null ? b.dataKeyLimits : DataKeyLimits.DEFAULT,
            clock,
            random,
            decryptCache);
    guard.initialize();
    if (b.probeScheduler != null && configuration != null) {
      // Every second (or the backoff minimum, if shorter): cheap when nothing is due, and it
      // lets the guard's deadline probe run at the end of the grace period.
      long period = Math.min(1000, accessSettings.probeBackoffMin().toMillis());
      this.backgroundProbe =
          b.probeScheduler.scheduleWithFixedDelay(
              this::backgroundProbe, period, period, TimeUnit.MILLISECONDS);
    } else {
      this.backgroundProbe = null;
    }
  }

  private void backgroundProbe() {
    try {
      guard.probeIfDue();
    } catch (RuntimeException e) {
      // Never let the scheduler cancel the task; the guard has logged the event.
    }
  }

  private KeyEncryptionKeyProvider servingProvider(KeyReference key) {
    List<KeyEncryptionKeyProvider> serving = new ArrayList<>();
    for (KeyEncryptionKeyProvider p : providers.all()) {
      if (p.serves(key)) {
        serving.add(p);
      }
    }
    if (serving.size() != 1) {
      throw new IllegalStateException(
          serving.isEmpty()
              ? "no configured key provider serves " + key
              : "several configured key providers serve "
                  + key
                  + ": name one with writeKey(provider id, key)");
    }
    return serving.get(0);
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- one-shot

  /**
   * Encrypts {@code plaintext} into a new envelope.
   *
   * @param plaintext the data
   * @param associatedData bound to the envelope (not stored); decrypt must be given the same bytes
   * @return the envelope
   * @throws IllegalStateException if no write key is configured
   * @throws dev.cmk.api.KeyProviderException if a new data key was needed and could not be wrapped
   */
  public byte[] encrypt(byte[] plaintext, byte[] associatedData) {
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(associatedData, "associatedData");
    EnvelopeHeader header = null;
    MessageCrypto crypto = null;
    for (int attempt = 0; crypto == null; attempt++) {
      WriteDataKeys.Lease lease = writeKeys.acquire(plaintext.length);
      header = newHeader(lease);
      crypto = seal(lease, header, associatedData, attempt);
    }
    int headerLength = header.length();
    long total = headerLength + BodyLayout.bodyLength(plaintext.length, segmentSize);
    if (total > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("plaintext too large for a byte array: use a stream");
    }
    byte[] out = new byte[(int) total];
    System.arraycopy(header.bytes(), 0, out, 0, headerLength);
    int in = 0;
    int o = headerLength;
    long index = 0;
    do {
      int n = Math.min(segmentSize, plaintext.length - in);
      boolean last = in + n == plaintext.length;
      o += crypto.encryptSegment(index++, last, plaintext, in, n, out, o);
      in += n;
    } while (in < plaintext.length);
    return out;
  }

  /** Encrypts with empty associated data. See {@link #encrypt(byte[], byte[])}. */
  public byte[] encrypt(byte[] plaintext) {
    return encrypt(plaintext, new byte[0]);
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
   */
  public byte[] decrypt(byte[] envelope, byte[] associatedData) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(associatedData, "associatedData");
    EnvelopeHeader header = headerOf(envelope);
    long plaintextLength =
        BodyLayout.plaintextLength(envelope.length - (long) header.length(), header.segmentSize());
    MessageCrypto crypto = open(header, associatedData);
    byte[] out = new byte[(int) plaintextLength];
    int s = header.segmentSize();
    int in = header.length();
    int o = 0;
    long index = 0;
    try {
      do {
        int n = (int) Math.min(s, plaintextLength - o);
        boolean last = o + n == plaintextLength;
        o += crypto.decryptSegment(index++, last, envelope, in, n + MessageCrypto.TAG_LENGTH, out, o);
        in += n + MessageCrypto.TAG_LENGTH;
      } while (o < plaintextLength);
    } catch (RuntimeException e) {
      Arrays.fill(out, (byte) 0);
      throw e;
    }
    return out;
  }

  /** Decrypts with empty associated data. See {@link #decrypt(byte[], byte[])}. */
  public byte[] decrypt(byte[] envelope) {
    return decrypt(envelope, new byte[0]);
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
    EnvelopeHeader header = null;
    MessageCrypto crypto = null;
    WriteDataKeys.Lease lease = null;
    for (int attempt = 0; crypto == null; attempt++) {
      lease = writeKeys.acquire(0); // the size is not known yet: the stream counts its bytes
      header = newHeader(lease);
      crypto = seal(lease, header, associatedData, attempt);
    }
    return new EncryptingOutputStream(sink, header, crypto, access, lease.usage());
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
    EnvelopeHeader header = readHeader(source);
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
   */
  public RangeReader rangeReader(SeekableByteChannel envelope, byte[] associatedData) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(associatedData, "associatedData");
    boolean opened = false;
    try {
      long size = envelope.size();
      EnvelopeHeader header;
      synchronized (envelope) {
        envelope.position(0);
        header = readHeader(new ChannelInput(envelope));
      }
      long plaintextLength = BodyLayout.plaintextLength(size - header.length(), header.segmentSize());
      MessageCrypto crypto = open(header, associatedData);
      RangeReader reader = new ChannelRangeReader(
          envelope, header, crypto, info(header, OptionalLong.of(size)), plaintextLength, access);
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

  // ---------------------------------------------------------------- inspect

  /**
   * Reads an envelope's header fields without unwrapping anything.
   *
   * @param envelope a whole envelope
   * @return what the header says, with lengths
   * @throws InvalidCiphertextException if the envelope is malformed
   * @throws UnsupportedFormatException if it is of a format this build cannot read
   */
  public static EnvelopeInfo inspect(byte[] envelope) {
    Objects.requireNonNull(envelope, "envelope");
    EnvelopeHeader header = headerOf(envelope);
    BodyLayout.plaintextLength(envelope.length - (long) header.length(), header.segmentSize());
    return info(header, OptionalLong.of(envelope.length));
  }

  /**
   * Reads the header at the start of {@code source}, consuming exactly the header bytes.
   *
   * @param source an envelope stream
   * @return what the header says (no lengths)
   * @throws IOException if reading fails
   * @throws InvalidCiphertextException if the header is malformed or truncated
   */
  public static EnvelopeInfo inspect(InputStream source) throws IOException {
    return info(readHeader(source), OptionalLong.empty());
  }

  /**
   * Envelope length for a plaintext of {@code plaintextLength} bytes with a header of {@code
   * headerLength} bytes and the given segment size: header + plaintext + 16 bytes per segment.
   */
  public static long envelopeLength(long plaintextLength, int headerLength, int segmentSize) {
    return headerLength + BodyLayout.bodyLength(plaintextLength, segmentSize);
  }

  /** Destroys every cached data key, on both the encrypt and the decrypt side. */
  public void purgeDataKeys() {
    writeKeys.invalidate();
    decryptCache.invalidateAll();
  }

  /** Number of unwrapped data keys currently cached (diagnostics). */
  public long cachedDataKeys() {
    return decryptCache.size();
  }

  /** Number of data keys made (and wrapped) by this instance so far. */
  public long dataKeysCreated() {
    return writeKeys.dataKeysCreated();
  }

  /** The segment size used for new envelopes. */
  public int segmentSize() {
    return segmentSize;
  }

  /**
   * The loss-of-access guard: status for health endpoints, {@code refresh()} after the grace
   * period or a configuration change.
   */
  public KeyAccessGuard keyAccess() {
    return guard;
  }

  /** Which key versions the envelopes handled here reference. */
  public KeyVersionInventory inventory() {
    return inventory;
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
    EnvelopeHeader header = headerOf(envelope);
    BodyLayout.plaintextLength(envelope.length - (long) header.length(), header.segmentSize());
    EnvelopeHeader replacement = rewrapHeader(header);
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
   */
  public RewrapOutcome rewrap(InputStream source, OutputStream sink) throws IOException {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(sink, "sink");
    EnvelopeHeader header = readHeader(source);
    EnvelopeHeader replacement = rewrapHeader(header);
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
   * opening their sink, so an interrupted run can simply be started again. A failing item is
   * reported and left unchanged; the run goes on, except that a loss of key access stops it (the
   * remaining items would all fail).
   *
   * @param items the envelopes
   * @param progress called after each item
   * @return the report
   */
  public RewrapReport rewrapAll(Iterable<? extends RewrapItem> items, RewrapProgress progress) {
    Objects.requireNonNull(items, "items");
    Objects.requireNonNull(progress, "progress");
    long startNanos = System.nanoTime();
    KeyReference target = access.writeVersion();
    long total = 0;
    long rewrapped = 0;
    long current = 0;
    List<RewrapReport.Failure> failures = new ArrayList<>();
    Map<KeyReference, Long> movedFrom = new LinkedHashMap<>();
    for (RewrapItem item : items) {
      total++;
      RewrapOutcome outcome;
      try {
        outcome = rewrapOne(item, movedFrom);
      } catch (KeyAccessSuspendedException e) {
        failures.add(new RewrapReport.Failure(item.id(), describe(e)));
        progress.onItem(item.id(), RewrapOutcome.FAILED, total);
        break;
      } catch (IOException | RuntimeException e) {
        failures.add(new RewrapReport.Failure(item.id(), describe(e)));
        outcome = RewrapOutcome.FAILED;
      }
      if (outcome == RewrapOutcome.REWRAPPED) {
        rewrapped++;
      } else if (outcome == RewrapOutcome.ALREADY_CURRENT) {
        current++;
      }
      progress.onItem(item.id(), outcome, total);
    }
    return new RewrapReport(target, total, rewrapped, current, failures, movedFrom,
        Duration.ofNanos(System.nanoTime() - startNanos));
  }

  private static String describe(Exception e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  private RewrapOutcome rewrapOne(RewrapItem item, Map<KeyReference, Long> movedFrom)
      throws IOException {
    try (InputStream in = item.openSource()) {
      EnvelopeHeader header = readHeader(in);
      EnvelopeHeader replacement = rewrapHeader(header);
      if (replacement == null) {
        return RewrapOutcome.ALREADY_CURRENT;
      }
      try (RewrapSink sink = item.openSink()) {
        OutputStream out = sink.stream();
        out.write(replacement.bytes());
        in.transferTo(out);
        out.flush();
        sink.commit();
      }
      movedFrom.merge(KeyReference.parse(header.keyReferenceText()), 1L, Long::sum);
      return RewrapOutcome.REWRAPPED;
    }
  }

  /** The re-sealed header under the current version, or null when already current. */
  private EnvelopeHeader rewrapHeader(EnvelopeHeader header) {
    KeyReference target = access.writeVersion();
    KeyEncryptionKeyProvider writer = guard.configuredProvider();
    if (header.providerId().equals(writer.id())
        && header.keyReferenceText().equals(target.toString())) {
      return null;
    }
    byte[] routing = header.routingBytes();
    RewrapKey cacheKey = new RewrapKey(new DecryptionKeyCacheKey(routing), target);
    return withDataKey(
        header,
        dataKey -> {
          WrappedKey wrapped = rewrapWraps.getIfPresent(cacheKey);
          if (wrapped == null) {
            wrapped = access.wrap(target, dataKey.secret());
            rewrapWraps.put(cacheKey, wrapped);
          }
          EnvelopeHeader replacement =
              EnvelopeHeader.create(header.segmentSize(), header.noncePrefix(), wrapped);
          MessageCrypto.verifyAndReseal(dataKey, header, replacement);
          inventory.recordRewrapped(header.keyReferenceText());
          return replacement;
        });
  }

  private record DecryptionKeyCacheKey(byte[] routing) {
    @Override
    public boolean equals(Object o) {
      return o instanceof DecryptionKeyCacheKey
          && Arrays.equals(((DecryptionKeyCacheKey) o).routing, routing);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(routing);
    }

    @Override
    public String toString() {
      return "routing(" + routing.length + " bytes)";
    }
  }

  private record RewrapKey(DecryptionKeyCacheKey routing, KeyReference target) {}

  /**
   * Destroys cached data keys and stops the background probe. Does not close the providers, which
   * the application owns.
   */
  @Override
  public void close() {
    if (backgroundProbe != null) {
      backgroundProbe.cancel(false);
    }
    purgeDataKeys();
  }

  // ---------------------------------------------------------------- internals

  private EnvelopeHeader newHeader(WriteDataKeys.Lease lease) {
    return EnvelopeHeader.create(segmentSize, lease.noncePrefix(), lease.wrapped(), lease.routing());
  }

  /** Seals the header; null when the data key was destroyed by a concurrent roll (retry). */
  private static MessageCrypto seal(
      WriteDataKeys.Lease lease, EnvelopeHeader header, byte[] associatedData, int attempt) {
    try {
      return MessageCrypto.seal(lease.key(), header, associatedData);
    } catch (IllegalStateException destroyedByConcurrentRoll) {
      if (attempt >= 3) {
        throw destroyedByConcurrentRoll;
      }
      return null;
    }
  }

  private MessageCrypto open(EnvelopeHeader header, byte[] associatedData) {
    return withDataKey(
        header,
        dataKey -> {
          MessageCrypto crypto = MessageCrypto.open(dataKey, header, associatedData);
          access.recordSeen(header.keyReferenceText());
          return crypto;
        });
  }

  /**
   * Runs {@code use} with the cached data key of {@code header}, loading it through the guard on a
   * miss. A key destroyed meanwhile (eviction, or a purge on loss of access) makes {@code use}
   * throw {@link IllegalStateException}: the entry is forgotten and the key loaded again, which
   * goes through the guard and so fails fast if access was lost.
   */
  private <T> T withDataKey(EnvelopeHeader header, Function<DataKey, T> use) {
    KeyVersionId version = KeyVersionId.of(header);
    for (int attempt = 0; ; attempt++) {
      access.checkReadable(version);
      DataKey dataKey;
      try {
        dataKey =
            decryptCache.dataKey(header, () -> access.unwrap(providers.wrappedKeyOf(header)));
      } catch (KeyProviderException e) {
        throw access.unwrapFailed(version, e); // classified outside the cache's lock
      }
      try {
        return use.apply(dataKey);
      } catch (IllegalStateException destroyedMeanwhile) {
        decryptCache.forget(header, dataKey);
        if (attempt >= 3) {
          throw destroyedMeanwhile;
        }
      }
    }
  }

  private static void closeQuietly(SeekableByteChannel channel) {
    try {
      channel.close();
    } catch (IOException | RuntimeException e) {
      // the original failure is what the caller needs
    }
  }

  private static EnvelopeHeader headerOf(byte[] envelope) {
    int length = EnvelopeHeader.declaredLength(envelope, envelope.length);
    if (length > envelope.length) {
      throw new InvalidCiphertextException();
    }
    return EnvelopeHeader.parse(Arrays.copyOf(envelope, length));
  }

  private static EnvelopeHeader readHeader(InputStream source) throws IOException {
    byte[] prefix = source.readNBytes(EnvelopeHeader.PREFIX_LENGTH);
    int length = EnvelopeHeader.declaredLength(prefix, prefix.length);
    byte[] header = Arrays.copyOf(prefix, length);
    int n = source.readNBytes(header, prefix.length, length - prefix.length);
    if (n != length - prefix.length) {
      throw new InvalidCiphertextException(new EOFException("envelope header is truncated"));
    }
    return EnvelopeHeader.parse(header);
  }

  static EnvelopeInfo info(EnvelopeHeader header, OptionalLong envelopeLength) {
    KeyReference ref;
    try {
      ref = KeyReference.parse(header.keyReferenceText());
    } catch (IllegalArgumentException e) {
      throw new InvalidCiphertextException();
    }
    if (!ref.isVersioned()) {
      throw new InvalidCiphertextException();
    }
    OptionalLong plaintext =
        envelopeLength.isPresent()
            ? OptionalLong.of(
                BodyLayout.plaintextLength(
                    envelopeLength.getAsLong() - header.length(), header.segmentSize()))
            : OptionalLong.empty();
    return new EnvelopeInfo(
        header.formatVersion(),
        EnvelopeInfo.SUITE_1,
        header.providerId(),
        ref,
        header.wrapAlgorithm(),
        header.wrappedKeyLength(),
        header.length(),
        header.segmentSize(),
        envelopeLength,
        plaintext);
  }

  /** Adapts a channel at its current position to an InputStream for header reading. */
  private static final class ChannelInput extends InputStream {
    private final SeekableByteChannel channel;

    ChannelInput(SeekableByteChannel channel) {
      this.channel = channel;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return channel.read(ByteBuffer.wrap(b, off, len));
    }
  }

  /**
   * Configures an {@link EnvelopeCrypto}. Each setting may be given once (a second call is an
   * {@link IllegalStateException}), except {@link #provider}, which adds one provider per call.
   */
  public static final class Builder {
    private final List<KeyEncryptionKeyProvider> providers = new ArrayList<>();
    private KeyReference writeKey;
    private String writeProviderId;
    private Integer segmentSizeSet;
    private int segmentSize = DEFAULT_SEGMENT_SIZE;
    private DataKeyLimits dataKeyLimits;
    private DataKeyCacheSettings cacheSettings;
    private Clock clock;
    private SecureRandom random;
    private KeyPolicy policy;
    private KeyAccessSettings accessSettings;
    private Supplier<KeyConfiguration> configuration;
    private final List<KeyAccessListener> listeners = new ArrayList<>();
    private Sleeper sleeper;
    private ScheduledExecutorService probeScheduler;

    private Builder() {}

    private static void once(Object current, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set");
      }
    }

    /**
     * Adds a key provider. Decryption uses only providers added here; two with one id are an
     * error at {@link #build()}.
     */
    public Builder provider(KeyEncryptionKeyProvider provider) {
      providers.add(Objects.requireNonNull(provider, "provider"));
      return this;
    }

    /**
     * The key-encryption key new envelopes are wrapped under; versionless follows the latest
     * version (re-resolved every {@link KeyAccessSettings#probeInterval()}), versioned pins one
     * version. Without
     * a write key the instance only decrypts. The provider is the one configured provider that
     * serves the key.
     */
    public Builder writeKey(KeyReference key) {
      once(writeKey, "writeKey");
      writeKey = Objects.requireNonNull(key, "key");
      return this;
    }

    /** As {@link #writeKey(KeyReference)}, naming the provider when several serve the key. */
    public Builder writeKey(String providerId, KeyReference key) {
      writeKey(key);
      writeProviderId = Objects.requireNonNull(providerId, "providerId");
      return this;
    }

    /**
     * Plaintext bytes per segment of new envelopes ({@value EnvelopeHeader#MIN_SEGMENT_SIZE} to
     * 16 MiB; default 64 KiB). Larger segments cost fewer tags and cipher set-ups; smaller ones
     * make range reads cheaper.
     */
    public Builder segmentSize(int bytes) {
      once(segmentSizeSet, "segmentSize");
      EnvelopeHeader.checkSegmentSize(bytes);
      segmentSizeSet = bytes;
      segmentSize = bytes;
      return this;
    }

    /** Encrypt-side data-key reuse limits (default {@link DataKeyLimits#DEFAULT}). */
    public Builder dataKeyLimits(DataKeyLimits limits) {
      once(dataKeyLimits, "dataKeyLimits");
      dataKeyLimits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /** Decrypt-side data-key cache bounds (default {@link DataKeyCacheSettings#DEFAULT}). */
    public Builder dataKeyCache(DataKeyCacheSettings settings) {
      once(cacheSettings, "dataKeyCache");
      cacheSettings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /** Time source for cache expiry and key refresh (default UTC system clock). */
    public Builder clock(Clock clock) {
      once(this.clock, "clock");
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Randomness for data keys and nonce-prefix starting points (default a new {@link
     * SecureRandom}). It must be unpredictable and never repeat across instances or restarts: a
     * seeded, deterministic generator would give two writers the same data key and the same
     * nonces. Only for tests that need a provider-specific {@code SecureRandom}; leave the default
     * in production.
     */
    public Builder secureRandom(SecureRandom random) {
      once(this.random, "secureRandom");
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * The key policy every write key version must meet (default {@link
     * KeyPolicy#dicomService()}). Checked at build time (a violation fails {@link #build()}
     * before anything is written), on every new version picked up, and on refresh.
     */
    public Builder keyPolicy(KeyPolicy policy) {
      once(this.policy, "keyPolicy");
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Timing of the loss-of-access guard (default {@link KeyAccessSettings#DEFAULT}). */
    public Builder keyAccess(KeyAccessSettings settings) {
      once(accessSettings, "keyAccess");
      accessSettings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * Where the write key and its provider (identity) come from; read at build time and again on
     * every {@link KeyAccessGuard#refresh()}, which is how a changed key URL or identity takes
     * effect. Alternative to {@link #writeKey(KeyReference)}. The supplied provider is added to
     * (or replaces, by id) the decryption providers.
     */
    public Builder keyConfiguration(Supplier<KeyConfiguration> configuration) {
      once(this.configuration, "keyConfiguration");
      this.configuration = Objects.requireNonNull(configuration, "configuration");
      return this;
    }

    /** Adds a listener for key access events. */
    public Builder listener(KeyAccessListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** How retries wait (default: sleep the thread). Tests pass a manual clock's advance. */
    public Builder sleeper(Sleeper sleeper) {
      once(this.sleeper, "sleeper");
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * Runs the guard's {@link KeyAccessGuard#probeIfDue()} from {@code scheduler} every second
     * (it calls the provider only when a probe is due), so confirmations stay fresh, recovery
     * does not wait for a request, and the deadline probe at the end of the grace period runs on
     * time even without traffic. The scheduler is the application's; {@link
     * EnvelopeCrypto#close()} cancels the task.
     */
    public Builder backgroundProbe(ScheduledExecutorService scheduler) {
      once(probeScheduler, "backgroundProbe");
      probeScheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Builds the instance.
     *
     * @throws IllegalStateException if no provider was added, two providers share an id, or no
     *     (or more than one) provider serves the write key
     * @throws dev.cmk.api.KeyPolicyViolationException if the write key breaks the key policy
     */
    public EnvelopeCrypto build() {
      if (writeKey != null && configuration != null) {
        throw new IllegalStateException("set either writeKey or keyConfiguration, not both");
      }
      if (configuration != null) {
        KeyConfiguration first = configuration.get();
        if (!providers.contains(first.provider())) {
          providers.add(first.provider());
        }
      }
      if (providers.isEmpty()) {
        throw new IllegalStateException("at least one key provider is required");
      }
      return new EnvelopeCrypto(this);
    }
  }
}
