package dev.cmk.core;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.internal.EnvelopeHeader;
import java.security.SecureRandom;
import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.fleet.FleetStateStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Configures an {@link EnvelopeCrypto}. Each setting may be given once (a second call is an
 * {@link IllegalStateException}), except {@link #provider}, which adds one provider per call.
 */
public final class EnvelopeCryptoBuilder {
  final List<KeyEncryptionKeyProvider> providers = new ArrayList<>();
  @Nullable KeyReference writeKey;
  @Nullable String writeProviderId;
  @Nullable Integer segmentSizeSet;
  int segmentSize = EnvelopeCrypto.DEFAULT_SEGMENT_SIZE;
  @Nullable DataKeyLimits dataKeyLimits;
  @Nullable DataKeyCacheSettings cacheSettings;
  @Nullable Clock clock;
  @Nullable SecureRandom random;
  @Nullable KeyPolicy policy;
  @Nullable KeyAccessSettings accessSettings;
  @Nullable Supplier<KeyConfiguration> configuration;
  final List<KeyAccessListener> listeners = new ArrayList<>();
  @Nullable Sleeper sleeper;
  @Nullable ScheduledExecutorService probeScheduler;
  @Nullable List<KeyReference> decryptOnlyKeys;
  @Nullable FleetStateStore fleetStore;
  @Nullable String replicaName;
  @Nullable DataKeyStore dataKeyStore;
  boolean shareDataKeyRecords;
  private boolean shareSet;
  final List<dev.cmk.core.internal.AdditionalWrappings.Target> additionalWrappingKeys =
      new ArrayList<>();
  boolean additionalWrappingsRequired = true;
  private boolean requiredSet;
  @Nullable Integer writeFormat;
  @Nullable CryptoObserver observer;

  EnvelopeCryptoBuilder() {}

  private static void once(@Nullable Object current, String name) {
    if (current != null) {
      throw new IllegalStateException(name + " was already set");
    }
  }

  /**
   * Adds a key provider. Decryption uses only providers added here; two with one id are an
   * error at {@link #build()}.
   *
   * @param provider the provider to add
   * @return this builder
   */
  public EnvelopeCryptoBuilder provider(KeyEncryptionKeyProvider provider) {
    providers.add(Objects.requireNonNull(provider, "provider"));
    return this;
  }

  /**
   * The key-encryption key new envelopes are wrapped under; versionless follows the latest
   * version (re-resolved every {@link KeyAccessSettings#probeInterval()}), versioned pins one
   * version. Without
   * a write key the instance only decrypts. The provider is the one configured provider that
   * serves the key.
   *
   * @param key the key
   * @return this builder
   */
  public EnvelopeCryptoBuilder writeKey(KeyReference key) {
    once(writeKey, "writeKey");
    writeKey = Objects.requireNonNull(key, "key");
    return this;
  }

  /**
   * As {@link #writeKey(KeyReference)}, naming the provider when several serve the key.
   *
   * @param key the key
   * @param providerId the id of the provider that serves the key
   * @return this builder
   */
  public EnvelopeCryptoBuilder writeKey(String providerId, KeyReference key) {
    writeKey(key);
    writeProviderId = Objects.requireNonNull(providerId, "providerId");
    return this;
  }

  /**
   * Plaintext bytes per segment of new envelopes ({@value EnvelopeHeader#MIN_SEGMENT_SIZE} to
   * 16 MiB; default 64 KiB). Larger segments cost fewer tags and cipher set-ups; smaller ones
   * make range reads cheaper.
   *
   * @param bytes plaintext bytes per segment
   * @return this builder
   */
  public EnvelopeCryptoBuilder segmentSize(int bytes) {
    once(segmentSizeSet, "segmentSize");
    EnvelopeHeader.checkSegmentSize(bytes);
    segmentSizeSet = bytes;
    segmentSize = bytes;
    return this;
  }

  /**
   * Encrypt-side data-key reuse limits (default {@link DataKeyLimits#DEFAULT}).
   *
   * @param limits the limits
   * @return this builder
   */
  public EnvelopeCryptoBuilder dataKeyLimits(DataKeyLimits limits) {
    once(dataKeyLimits, "dataKeyLimits");
    dataKeyLimits = Objects.requireNonNull(limits, "limits");
    return this;
  }

  /**
   * Decrypt-side data-key cache bounds (default {@link DataKeyCacheSettings#DEFAULT}).
   *
   * @param settings the settings
   * @return this builder
   */
  public EnvelopeCryptoBuilder dataKeyCache(DataKeyCacheSettings settings) {
    once(cacheSettings, "dataKeyCache");
    cacheSettings = Objects.requireNonNull(settings, "settings");
    return this;
  }

  /**
   * Time source for cache expiry and key refresh (default UTC system clock).
   *
   * @param clock the time source
   * @return this builder
   */
  public EnvelopeCryptoBuilder clock(Clock clock) {
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
   *
   * @param random the randomness source
   * @return this builder
   */
  public EnvelopeCryptoBuilder secureRandom(SecureRandom random) {
    once(this.random, "secureRandom");
    this.random = Objects.requireNonNull(random, "random");
    return this;
  }

  /**
   * The key policy every write key version must meet (default {@link
   * KeyPolicy#dicomService()}). Checked at build time (a violation fails {@link #build()}
   * before anything is written), on every new version picked up, and on refresh.
   *
   * @param policy the key policy
   * @return this builder
   */
  public EnvelopeCryptoBuilder keyPolicy(KeyPolicy policy) {
    once(this.policy, "keyPolicy");
    this.policy = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /**
   * Timing of the loss-of-access guard (default {@link KeyAccessSettings#DEFAULT}).
   *
   * @param settings the settings
   * @return this builder
   */
  public EnvelopeCryptoBuilder keyAccess(KeyAccessSettings settings) {
    once(accessSettings, "keyAccess");
    accessSettings = Objects.requireNonNull(settings, "settings");
    return this;
  }

  /**
   * Where the write key and its provider (identity) come from; read at build time and again on
   * every {@link KeyAccessGuard#refresh()}, which is how a changed key URL or identity takes
   * effect. Alternative to {@link #writeKey(KeyReference)}. The supplied provider is added to
   * the configured providers, where it takes precedence for the keys it serves; providers added
   * before stay for the keys only they serve, and a previous write key becomes a decrypt-only key
   * of the {@link Keyring} — so a move to a key in another vault or HSM keeps old envelopes
   * readable until the application retires the old key.
   *
   * @param configuration supplies the write key and its provider
   * @return this builder
   */
  public EnvelopeCryptoBuilder keyConfiguration(Supplier<KeyConfiguration> configuration) {
    once(this.configuration, "keyConfiguration");
    this.configuration = Objects.requireNonNull(configuration, "configuration");
    return this;
  }

  /**
   * Adds a listener for key access events.
   *
   * @param listener the listener
   * @return this builder
   */
  public EnvelopeCryptoBuilder listener(KeyAccessListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /**
   * How retries wait (default: sleep the thread). Tests pass a manual clock's advance.
   *
   * @param sleeper how to wait
   * @return this builder
   */
  public EnvelopeCryptoBuilder sleeper(Sleeper sleeper) {
    once(this.sleeper, "sleeper");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    return this;
  }

  /**
   * Shares the loss-of-access state of the configured key with the service's other replicas
   * through {@code store} (default: none, the state is this instance's alone). With it, a loss,
   * its start, "refresh required" and every explicit refresh are the service's: a replica that
   * restarts, or a new one, starts in the fleet's state (refresh required: without calling the
   * provider), and one {@link KeyAccessGuard#refresh()} on any replica is followed by all
   * within one probe interval. The store is read at most once per probe interval and written
   * once per state change. See README "Running several replicas" for the semantics under
   * outages and clock skew.
   *
   * @param store the shared store, e.g. {@code JdbcFleetStateStore} or {@code
   *     BlobFleetStateStore}; {@link dev.cmk.core.fleet.InMemoryFleetStateStore} for instances
   *     in one process
   * @param replicaName this instance's name as recorded for operators (1–128 printable ASCII
   *     characters, e.g. the host name); not trusted for anything
   * @return this builder
   */
  public EnvelopeCryptoBuilder fleetState(FleetStateStore store, String replicaName) {
    once(fleetStore, "fleetState");
    fleetStore = Objects.requireNonNull(store, "store");
    this.replicaName = FleetKeyState.checkReplicaName(
        Objects.requireNonNull(replicaName, "replicaName"));
    return this;
  }

  /**
   * Writes envelope format 2 (default without a store: format 1), whose headers name a data-key
   * record kept once in {@code store} instead of carrying the RSA-wrapped data key: 64 bytes of
   * overhead on a one-segment envelope instead of about 420 with a Key Vault RSA-2048 key, and one
   * unwrap per record for any number of envelopes under it. Readers of format 2 envelopes need
   * the same store; format 1 envelopes stay readable with or without it. The segment size must be
   * a power of two. Every record must be kept as long as any envelope under it: the store is as
   * much part of the data as the envelopes. See {@code docs/envelope-format.md}, "Format v2".
   *
   * @param store the shared store, e.g. {@code JdbcDataKeyStore}; {@link
   *     dev.cmk.core.datakey.InMemoryDataKeyStore} only for one process and tests
   * @return this builder
   */
  public EnvelopeCryptoBuilder dataKeyStore(DataKeyStore store) {
    once(dataKeyStore, "dataKeyStore");
    dataKeyStore = Objects.requireNonNull(store, "store");
    return this;
  }

  /**
   * The envelope format new envelopes are written in: 2 (the default when a {@linkplain
   * #dataKeyStore data-key store} is configured) or 1 (the default without one). Set 1 with a
   * store for a rolling upgrade — every instance gets the store and reads both formats before any
   * writes format 2 — or for a writer whose segment size is not a power of two. Reading does not
   * depend on it.
   *
   * @param version 1 or 2
   * @return this builder
   */
  public EnvelopeCryptoBuilder writeFormat(int version) {
    once(writeFormat, "writeFormat");
    if (version != 1 && version != 2) {
      throw new IllegalArgumentException("envelope format 1 or 2");
    }
    writeFormat = version;
    return this;
  }

  /** {@return the format new envelopes are written in} */
  int effectiveWriteFormat() {
    return writeFormat != null ? writeFormat : dataKeyStore != null ? 2 : 1;
  }

  /**
   * Lets this writer share data-key records with the service's other writers (default: off, every
   * writer makes its own records, as format 1 writers make their own data keys). A writer then
   * takes the newest record under its write key version that is younger than {@link
   * DataKeyLimits#maxAge()}, claims a writer slot in it (one conditional store write) and unwraps
   * it once, so a service of many writers makes fewer records. Nonces stay unique across writers
   * (one body key per slot). The price: a writer that joins a record encrypts under a data key it
   * did not make, so anyone who can write to the store <em>and</em> holds the key-encryption key's
   * public key could plant a record whose data key they know. Turn this on only when the store is
   * trusted as much as the keys.
   *
   * @param share whether to join other writers' records
   * @return this builder
   */
  public EnvelopeCryptoBuilder shareDataKeyRecords(boolean share) {
    once(shareSet ? Boolean.TRUE : null, "shareDataKeyRecords");
    shareSet = true;
    shareDataKeyRecords = share;
    return this;
  }

  /**
   * Also wraps every new data-key record under {@code key} (format 2 only): a second region's
   * vault or an escrow HSM, so that an instance configured with that key — and not the write key
   * — reads every record (disaster recovery). Readers use the first wrapping under a key they are
   * configured with, so adding a key here changes nothing for instances configured with the write
   * key: revoking the write key still makes the data inaccessible to them. Whether an instance
   * with the further key may keep reading after the write key is revoked is the customer's choice,
   * made by configuring such an instance; see README "Several key-encryption keys". The provider
   * serving {@code key} must be added with {@link #provider}; an unversioned key is resolved to
   * its latest version when a record is made. May be called several times.
   *
   * @param providerId id of the provider that serves {@code key}
   * @param key the further key, with or without version
   * @return this builder
   */
  public EnvelopeCryptoBuilder additionalWrappingKey(String providerId, KeyReference key) {
    var t = new dev.cmk.core.internal.AdditionalWrappings.Target(
        Objects.requireNonNull(providerId, "providerId"), Objects.requireNonNull(key, "key"));
    if (additionalWrappingKeys.stream().anyMatch(o -> o.providerId().equals(providerId)
        && o.key().versionless().equals(key.versionless()))) {
      throw new IllegalStateException("additionalWrappingKey " + key + " was already added");
    }
    additionalWrappingKeys.add(t);
    return this;
  }

  /**
   * Whether a record is made only when every {@linkplain #additionalWrappingKey further key}
   * wrapped it (default: {@code true}, a write fails before anything is encrypted when one cannot
   * be reached). With {@code false} an unreachable further key is skipped (logged) and {@link
   * DataKeyRecords#rewrapAll} adds its wrapping later — writes keep working through an outage of
   * the escrow, at the price of records that the escrow cannot open until then.
   *
   * @param required whether every further wrapping is required
   * @return this builder
   */
  public EnvelopeCryptoBuilder additionalWrappingsRequired(boolean required) {
    once(requiredSet ? Boolean.TRUE : null, "additionalWrappingsRequired");
    requiredSet = true;
    additionalWrappingsRequired = required;
    return this;
  }

  /**
   * Runs the guard's {@link KeyAccessGuard#probeIfDue()} from {@code scheduler} every second
   * (it calls the provider only when a probe is due), so confirmations stay fresh, recovery
   * does not wait for a request, and the deadline probe at the end of the grace period runs on
   * time even without traffic. The scheduler is the application's; {@link
   * EnvelopeCrypto#close()} cancels the task.
   *
   * @param scheduler the application's scheduler
   * @return this builder
   */
  public EnvelopeCryptoBuilder backgroundProbe(ScheduledExecutorService scheduler) {
    once(probeScheduler, "backgroundProbe");
    probeScheduler = Objects.requireNonNull(scheduler, "scheduler");
    return this;
  }

  /**
   * Keys (any version) this instance reads though it does not write under them — typically the
   * write keys it used before a move to another key, vault or HSM, listed again after a restart.
   * They appear in {@link Keyring#decryptOnlyKeys()}; see {@link Keyring}.
   *
   * @param keys the keys
   * @return this builder
   */
  public EnvelopeCryptoBuilder decryptOnlyKeys(java.util.Collection<KeyReference> keys) {
    once(decryptOnlyKeys, "decryptOnlyKeys");
    decryptOnlyKeys = List.copyOf(Objects.requireNonNull(keys, "keys"));
    return this;
  }

  /**
   * Where counts and timings go, for metrics (default {@link CryptoObserver#noop()}, with which
   * nothing is measured: the data-key cache keeps no statistics and provider calls are not
   * timed). The observer sees every key-encryption-key call by provider id, operation and
   * outcome with its latency, the decrypt-side data-key cache's hits and misses, and every item
   * of {@link EnvelopeCrypto#rewrapAll}; {@link CryptoObserver#attached} is called once with the
   * built instance. {@code cmk-micrometer}'s {@code CmkMetrics} is one. An observer's exceptions
   * never fail an operation.
   *
   * @param observer the observer
   * @return this builder
   * @throws IllegalStateException if an observer was already set
   */
  public EnvelopeCryptoBuilder observer(CryptoObserver observer) {
    once(this.observer, "observer");
    this.observer = Objects.requireNonNull(observer, "observer");
    return this;
  }

  /** {@return the observer set, or the no-op one} */
  CryptoObserver observer() {
    return observer != null ? observer : CryptoObserver.noop();
  }

  /**
   * Builds the instance.
   *
   * @return the instance
   * @throws IllegalStateException if no provider was added, or no (or more than one) provider
   *     serves the write key
   * @throws dev.cmk.api.KeyPolicyViolationException if the write key breaks the key policy
   * @throws RuntimeException what the {@linkplain #observer observer}'s {@link
   *     CryptoObserver#attached} threw (the new instance is closed first)
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
    if (effectiveWriteFormat() == 2 && dataKeyStore == null) {
      throw new IllegalStateException("writeFormat(2) needs a dataKeyStore");
    }
    if (effectiveWriteFormat() == 2 && !dev.cmk.core.internal.CompactHeader
        .isWritableSegmentSize(segmentSize)) {
      throw new IllegalStateException("format 2 (dataKeyStore) needs a segment size that is a "
          + "power of two from 256 B to 16 MiB (or writeFormat(1))");
    }
    if (!additionalWrappingKeys.isEmpty() && dataKeyStore == null) {
      throw new IllegalStateException("additionalWrappingKey needs a dataKeyStore (format 2)");
    }
    if (shareDataKeyRecords && dataKeyStore == null) {
      throw new IllegalStateException("shareDataKeyRecords needs a dataKeyStore");
    }
    EnvelopeCrypto crypto = new EnvelopeCrypto(this);
    if (observer != null) {
      try {
        observer.attached(crypto);
      } catch (RuntimeException e) {
        crypto.close();
        throw e;
      }
    }
    return crypto;
  }
}
