package dev.cmk.core.internal;

import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.core.DataKeyLimits;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The encrypt side's current data key, reused within {@link DataKeyLimits} and replaced when a
 * limit is reached or the write key version changes. Each new data key is wrapped once and seeded
 * into the decryption cache so that reading back fresh writes needs no unwrap.
 *
 * <p>This is the only place a data key encrypts: it is generated here, kept only in this object's
 * memory for writing, and every message gets the next value of its counter as nonce prefix, so no
 * nonce repeats under the data key's body key. The decryption cache holds its own copy and only
 * ever decrypts.
 */
public final class WriteDataKeys extends CurrentDataKeyWriter<WriteDataKeys.Active> {
  /**
   * A data key for one message, its wrapped form and the message's nonce prefix. The key may be
   * destroyed by a concurrent roll; its use then throws {@link IllegalStateException} and the
   * caller acquires again (a new lease, so a new nonce prefix).
   *
   * @param noncePrefix the envelope's nonce prefix: different for every lease of one data key
   * @param usage counts plaintext bytes encrypted under the lease that were not known when it was
   *     acquired (a stream's), toward {@link DataKeyLimits#maxBytes()}
   */
  public record Lease(
      DataKey key, WrappedKey wrapped, byte[] routing, long noncePrefix, LongConsumer usage) {}

  private final KeyAccess access;
  private final DataKeyLimits limits;
  private final Clock clock;
  private final SecureRandom random;
  private final DecryptionKeyCache decryptCache;

  public WriteDataKeys(
      KeyAccess access,
      DataKeyLimits limits,
      Clock clock,
      SecureRandom random,
      DecryptionKeyCache decryptCache) {
    this.access = access;
    this.limits = limits;
    this.clock = clock;
    this.random = random;
    this.decryptCache = decryptCache;
  }

  /** Leases the data key for a message of (at least) {@code plaintextBytes} bytes. */
  public Lease acquire(long plaintextBytes) {
    KeyReference version = access.writeVersion();
    for (int attempt = 0; ; attempt++) {
      Active active = current();
      long sequence = 0;
      if (active != null && active.wrapped.keyReference().equals(version)) {
        sequence = active.admit(plaintextBytes, clock.instant(), limits);
      }
      if (sequence == 0) {
        Admitted admitted = roll(active, version, plaintextBytes);
        active = admitted.active;
        sequence = admitted.sequence;
      }
      if (!active.key.isDestroyed() || attempt >= 3) {
        return new Lease(
            active.key, active.wrapped, active.routing, active.noncePrefix(sequence), active);
      }
    }
  }

  /**
   * Leases a data key and seals a new envelope's header under it. A data key destroyed by a
   * concurrent roll between the lease and the seal is retried with a new lease (a few times).
   *
   * @param plaintextBytes the message size when known, else 0 (a stream counts its bytes)
   */
  @Override
  public Begun begin(long plaintextBytes, int segmentSize, byte[] associatedData) {
    for (int attempt = 0; ; attempt++) {
      Lease lease = acquire(plaintextBytes);
      EnvelopeHeader header = EnvelopeHeader.create(
          segmentSize, lease.noncePrefix(), lease.wrapped(), lease.routing());
      try {
        return new Begun(header, MessageCrypto.seal(lease.key(), header, associatedData),
            lease.usage());
      } catch (IllegalStateException destroyedByConcurrentRoll) {
        if (attempt >= 3) {
          throw destroyedByConcurrentRoll;
        }
      }
    }
  }

  private record Admitted(Active active, long sequence) {}

  private synchronized Admitted roll(
      @Nullable Active seen, KeyReference version, long plaintextBytes) {
    Active now = current();
    if (now != seen && now != null && now.wrapped.keyReference().equals(version)) {
      long sequence = now.admit(plaintextBytes, clock.instant(), limits);
      if (sequence != 0) {
        return new Admitted(now, sequence);
      }
    }
    version = access.versionForNewDataKey(version);
    byte[] raw = new byte[DataKey.LENGTH];
    random.nextBytes(raw);
    SecretBytes secret = SecretBytes.wrapOwned(raw);
    WrappedKey wrapped;
    byte[] routing;
    DataKey key;
    try {
      wrapped = access.wrap(version, secret);
      routing = EnvelopeHeader.routingBytes(wrapped);
      key = DataKey.of(secret);
    } catch (RuntimeException e) {
      secret.destroy();
      throw e;
    }
    decryptCache.put(routing, KeyVersionId.of(wrapped),
        SecretBytes.wrapOwned(secret.copy()));
    long nonceBase = random.nextLong() & EnvelopeHeader.MAX_NONCE_PREFIX;
    Active next = new Active(key, wrapped, routing, clock.instant(), nonceBase);
    long sequence = next.admit(plaintextBytes, next.created, limits);
    replace(now, next);
    countCreated();
    return new Admitted(next, sequence);
  }

  /** The current data key and its usage; counts a stream's bytes as the lease's usage. */
  static final class Active extends KeyUsage {
    final WrappedKey wrapped;
    final byte[] routing;
    final Instant created;
    final long nonceBase;

    Active(DataKey key, WrappedKey wrapped, byte[] routing, Instant created, long nonceBase) {
      super(key);
      this.wrapped = wrapped;
      this.routing = routing;
      this.created = created;
      this.nonceBase = nonceBase;
    }

    /**
     * Admits one more message: its sequence number (1, 2, ...; never the same twice) or 0 when a
     * limit is reached and a new data key is needed.
     */
    long admit(long plaintextBytes, Instant now, DataKeyLimits limits) {
      if (!now.isBefore(created.plus(limits.maxAge())) || now.isBefore(created)) {
        return 0;
      }
      return admitMessage(plaintextBytes, limits, EnvelopeHeader.MAX_NONCE_PREFIX);
    }

    /**
     * The nonce prefix of message {@code sequence}: distinct for distinct sequence numbers below
     * 2^56, and starting at a random point so it does not tell how many envelopes came before.
     */
    long noncePrefix(long sequence) {
      return (nonceBase + sequence) & EnvelopeHeader.MAX_NONCE_PREFIX;
    }
  }

  @Override
  public String toString() {
    return "WriteDataKeys" + Arrays.asList(limits);
  }
}
