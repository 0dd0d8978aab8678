package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.StoredDataKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The format 2 encrypt side: the current data-key record and this writer's slot in it, replaced
 * when a {@link DataKeyLimits} limit is reached or the write key version changes.
 *
 * <p>A new record is made here: a random data key, wrapped under the write version, stored with
 * writer slot 0 taken by this writer, and seeded into the decryption cache. With sharing on, a
 * writer first looks for the newest record under the same key version that is still young enough
 * and claims the next slot in it (one unwrap), so writers of one service share records.
 *
 * <p>Nonces: every envelope body is encrypted under its writer slot's key {@code K_w}; the store
 * hands each slot of a record to exactly one writer (conditional replace), and the writer gives
 * each of its envelopes the next message number {@code m} (from a random start below 2^39, at most
 * 2^39 − 1 envelopes per slot, so {@code m} never wraps). Segment {@code i} uses the nonce {@code
 * 00 00 || u40(m) || u32(i) || last}. So no (key, nonce) pair repeats, across any number of
 * writers, without a birthday bound.
 */
public final class RecordWriteDataKeys extends CurrentDataKeyWriter<RecordWriteDataKeys.Active> {
  /** Envelopes per writer slot: half the 40-bit message space, after a random start below it. */
  static final long MAX_MESSAGES_PER_SLOT = (1L << 39) - 1;
  /** How far ahead of this writer's clock a shared record's creation time may be. */
  static final Duration MAX_CLOCK_AHEAD = Duration.ofMinutes(5);
  private static final Logger LOG = LoggerFactory.getLogger(RecordWriteDataKeys.class);

  private final KeyAccess access;
  private final Records records;
  private final DataKeyLimits limits;
  private final Clock clock;
  private final SecureRandom random;
  private final DecryptionKeyCache decryptCache;
  private final Supplier<String> writeProviderId;
  private final String writerName;
  private final boolean share;
  private final AdditionalWrappings additional;

  public RecordWriteDataKeys(KeyAccess access, Records records, DataKeyLimits limits, Clock clock,
      SecureRandom random, DecryptionKeyCache decryptCache, Supplier<String> writeProviderId,
      String writerName, boolean share, AdditionalWrappings additional) {
    this.access = access;
    this.records = records;
    this.limits = limits;
    this.clock = clock;
    this.random = random;
    this.decryptCache = decryptCache;
    this.writeProviderId = writeProviderId;
    this.writerName = writerName;
    this.share = share;
    this.additional = additional;
  }

  @Override
  public Begun begin(long plaintextBytes, int segmentSize, byte[] associatedData) {
    KeyReference version = access.writeVersion();
    for (int attempt = 0; ; attempt++) {
      Active active = current();
      long sequence = 0;
      if (active != null && active.primary.equals(version)) {
        sequence = active.admit(plaintextBytes, clock.instant(), limits);
      }
      if (sequence == 0) {
        Admitted admitted = roll(active, version, plaintextBytes);
        active = admitted.active;
        sequence = admitted.sequence; // never 0: a message number is used once
      }
      CompactHeader header =
          CompactHeader.create(segmentSize, active.id, active.slot, active.message(sequence));
      try {
        return new Begun(header,
            MessageCrypto.compact(active.key, header, associatedData, active.version), active);
      } catch (IllegalStateException destroyedByConcurrentRoll) {
        if (attempt >= 3) {
          throw destroyedByConcurrentRoll;
        }
      }
    }
  }

  private record Admitted(Active active, long sequence) {}

  private synchronized Admitted roll(Active seen, KeyReference version, long plaintextBytes) {
    Active now = current();
    if (now != seen && now != null && now.primary.equals(version)) {
      long sequence = now.admit(plaintextBytes, clock.instant(), limits);
      if (sequence != 0) {
        return new Admitted(now, sequence);
      }
    }
    version = access.versionForNewDataKey(version);
    Active next = share ? join(version).orElse(null) : null;
    long sequence = next == null ? 0 : next.admit(plaintextBytes, clock.instant(), limits);
    if (sequence == 0) {
      if (next != null) {
        next.key.destroy(); // the shared record aged out between the lookup and now
      }
      next = create(version);
      // A new record admits its first message whatever its size (as format 1's data keys do).
      sequence = next.admit(plaintextBytes, next.slotStarted, limits);
      if (sequence == 0) {
        next.key.destroy();
        throw new IllegalStateException("data key limits admit no message");
      }
    }
    replace(now, next);
    return new Admitted(next, sequence);
  }

  /** A new record under {@code version}, slot 0 ours. Stored before any envelope uses it. */
  private Active create(KeyReference version) {
    byte[] raw = new byte[DataKey.LENGTH];
    random.nextBytes(raw);
    SecretBytes secret = SecretBytes.wrapOwned(raw);
    WrappedKey wrapped;
    DataKey key;
    try {
      wrapped = access.wrap(version, secret);
      key = DataKey.of(secret, KeyVersionId.of(wrapped));
    } catch (RuntimeException e) {
      secret.destroy();
      throw e;
    }
    try {
      byte[] id = key.recordId();
      Instant created = clock.instant();
      List<WrappedKey> wrappings = new ArrayList<>();
      wrappings.add(wrapped);
      wrappings.addAll(additional.wrapAll(secret));
      DataKeyRecord record =
          new DataKeyRecord(DataKeyId.of(id), wrappings, created, writerName, 1);
      if (records.create(record).isEmpty()) {
        throw new IllegalStateException("a data-key record with this id already exists");
      }
      decryptCache.putRecordKey(id, DataKey.of(SecretBytes.wrapOwned(secret.copy()),
          key.source()));
      countCreated();
      return new Active(key, id, 0, version, created.plus(limits.maxAge()), created, nextBase());
    } catch (RuntimeException e) {
      key.destroy();
      throw e;
    }
  }

  /** The newest young record under {@code version} with a slot claimed for us, if any. */
  private Optional<Active> join(KeyReference version) {
    Instant now = clock.instant();
    Optional<StoredDataKey> found;
    try {
      found = records.newestWritable(writeProviderId.get(), version, now.minus(limits.maxAge()));
    } catch (IllegalArgumentException malformedStoredRecord) {
      return Optional.empty(); // never join what does not decode: make a record of our own
    }
    if (found.isEmpty()) {
      return Optional.empty();
    }
    DataKeyRecord record = found.get().record();
    WrappedKey primary = record.primary();
    if (!primary.providerId().equals(writeProviderId.get())
        || !primary.keyReference().equals(version)
        || record.createdAt().isAfter(now.plus(MAX_CLOCK_AHEAD))) {
      return Optional.empty(); // not what we asked for, or dated in the future: never join it
    }
    byte[] id = record.id().bytes();
    DataKey key;
    try {
      key = RecordReadDataKeys.unwrapChecked(access, id, primary);
    } catch (KeyProviderException e) {
      RuntimeException classified = access.unwrapFailed(primary, e);
      if (classified instanceof KeyAccessSuspendedException) {
        throw classified; // the key itself is not accessible: a new record would fail too
      }
      LOG.warn("not joining data-key record {}: its wrapping does not unwrap ({})",
          record.id(), e.getClass().getSimpleName());
      return Optional.empty();
    } catch (InvalidCiphertextException notItsKey) {
      // A planted or corrupt record: make our own instead of failing every write.
      LOG.warn("not joining data-key record {}: its wrapping is not of its data key", record.id());
      return Optional.empty();
    }
    Optional<Long> slot;
    try {
      slot = records.claimSlot(found.get());
    } catch (RuntimeException e) {
      key.destroy();
      throw e;
    }
    if (slot.isEmpty()) {
      key.destroy();
      return Optional.empty();
    }
    return Optional.of(new Active(key, id, slot.get(), version,
        record.createdAt().plus(limits.maxAge()), now,
        nextBase()));
  }

  private long nextBase() {
    return random.nextLong() & MAX_MESSAGES_PER_SLOT;
  }

  /** This writer's slot in a record and its usage. */
  static final class Active extends KeyUsage {
    final byte[] id;
    final long slot;
    final KeyReference primary;
    final KeyVersionId version;
    final Instant expires; // the record's creation + maxAge: no message after it
    final Instant slotStarted;
    final long messageBase;

    Active(DataKey key, byte[] id, long slot, KeyReference primary, Instant expires,
        Instant slotStarted, long messageBase) {
      super(key);
      this.id = id;
      this.slot = slot;
      this.primary = primary;
      this.version = key.source();
      this.expires = expires;
      this.slotStarted = slotStarted;
      this.messageBase = messageBase;
    }

    /** The next message's sequence number (1, 2, ...; never twice), or 0 if a limit is reached. */
    long admit(long plaintextBytes, Instant now, DataKeyLimits limits) {
      if (!now.isBefore(expires) || now.isBefore(slotStarted)) {
        return 0;
      }
      return admitMessage(plaintextBytes, limits, MAX_MESSAGES_PER_SLOT);
    }

    /** Message number of {@code sequence}: distinct per sequence, never above 2^40 − 1. */
    long message(long sequence) {
      return messageBase + sequence;
    }
  }
}
