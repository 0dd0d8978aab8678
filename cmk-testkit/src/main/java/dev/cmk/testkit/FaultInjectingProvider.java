package dev.cmk.testkit;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Wraps any {@link KeyEncryptionKeyProvider} with call counters, simulated latency and injected
 * failures ({@link FaultControls}), so that code can be tested against a real provider (a Key
 * Vault, a SoftHSM token) failing on cue.
 *
 * <p>Each SPI call first goes through the steps described in {@link FaultControls}; if none of them
 * throws, the call is passed to the delegate unchanged and its result or exception returned as is.
 * {@link #id()}, {@link #serves} and {@link #close()} are passed through without counting or
 * faults.
 *
 * <p><b>Thread safety:</b> safe for concurrent use if the delegate is.
 */
public final class FaultInjectingProvider extends ForwardingProvider implements FaultControls {
  private final FaultInjector faults;

  private FaultInjectingProvider(Builder builder) {
    super(builder.delegate);
    this.faults = new FaultInjector(builder.latency);
  }

  /**
   * Wraps {@code delegate} with no latency and no faults.
   *
   * @param delegate the provider to wrap
   * @return the wrapping provider
   * @throws NullPointerException if {@code delegate} is null
   */
  public static FaultInjectingProvider wrapping(KeyEncryptionKeyProvider delegate) {
    return builder().delegate(delegate).build();
  }

  /**
   * A builder; {@link Builder#delegate} is required.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Counts and possibly fails the call as {@link Operation#DESCRIBE}, then asks the delegate.
   *
   * @throws NullPointerException if {@code reference} is null
   * @throws dev.cmk.api.KeyNotFoundException as the delegate does, or when injected
   * @throws dev.cmk.api.KeyAccessDeniedException as the delegate does, or when injected
   * @throws dev.cmk.api.KeyProviderUnavailableException as the delegate does, or when injected
   */
  @Override
  public KeyDescription describe(KeyReference reference) {
    Objects.requireNonNull(reference, "reference");
    faults.before(Operation.DESCRIBE, reference);
    return delegate().describe(reference);
  }

  /**
   * Counts and possibly fails the call as {@link Operation#DESCRIBE}, then asks the delegate's
   * {@code resolveLatest}.
   *
   * @throws NullPointerException if {@code reference} is null
   * @throws dev.cmk.api.KeyNotFoundException as the delegate does, or when injected
   * @throws dev.cmk.api.KeyAccessDeniedException as the delegate does, or when injected
   * @throws dev.cmk.api.KeyProviderUnavailableException as the delegate does, or when injected
   */
  @Override
  public KeyReference resolveLatest(KeyReference reference) {
    Objects.requireNonNull(reference, "reference");
    faults.before(Operation.DESCRIBE, reference);
    return delegate().resolveLatest(reference);
  }

  /**
   * Counts and possibly fails the call as {@link Operation#WRAP}, then asks the delegate.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code reference} is not versioned (checked before counting)
   * @throws dev.cmk.api.KeyNotFoundException as the delegate does, or when injected
   * @throws dev.cmk.api.KeyAccessDeniedException as the delegate does, or when injected
   * @throws dev.cmk.api.KeyProviderUnavailableException as the delegate does, or when injected
   */
  @Override
  public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(dataKey, "dataKey");
    if (!reference.isVersioned()) {
      throw new IllegalArgumentException(
          "wrap needs a versioned key reference; resolve the latest version first");
    }
    faults.before(Operation.WRAP, reference);
    return delegate().wrap(reference, dataKey);
  }

  /**
   * Counts and possibly fails the call as {@link Operation#UNWRAP}, then asks the delegate.
   *
   * @throws NullPointerException if {@code wrappedKey} is null
   * @throws dev.cmk.api.InvalidCiphertextException as the delegate does, or when injected
   * @throws dev.cmk.api.KeyNotFoundException as the delegate does, or when injected
   * @throws dev.cmk.api.KeyAccessDeniedException as the delegate does, or when injected
   * @throws dev.cmk.api.KeyProviderUnavailableException as the delegate does, or when injected
   */
  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    Objects.requireNonNull(wrappedKey, "wrappedKey");
    faults.before(Operation.UNWRAP, wrappedKey.keyReference());
    return delegate().unwrap(wrappedKey);
  }

  /**
   * Counts and possibly fails the call as {@link Operation#PUBLIC_KEY}, then asks the delegate.
   *
   * @throws NullPointerException if {@code reference} is null
   * @throws IllegalArgumentException if {@code reference} is not versioned (checked before counting)
   * @throws dev.cmk.api.KeyNotFoundException as the delegate does, or when injected
   * @throws dev.cmk.api.KeyAccessDeniedException as the delegate does, or when injected
   * @throws dev.cmk.api.KeyProviderUnavailableException as the delegate does, or when injected
   */
  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    Objects.requireNonNull(reference, "reference");
    if (!reference.isVersioned()) {
      throw new IllegalArgumentException("publicKey needs a versioned key reference");
    }
    faults.before(Operation.PUBLIC_KEY, reference);
    return delegate().publicKey(reference);
  }

  /** Closes the delegate. */
  @Override
  public void close() {
    delegate().close();
  }

  @Override
  public void failNext(Operation operation, int times, Fault fault) {
    faults.failNext(operation, times, fault);
  }

  @Override
  public void setFault(Operation operation, Fault fault) {
    faults.setFault(operation, fault);
  }

  @Override
  public void clearFault(Operation operation) {
    faults.clearFault(operation);
  }

  @Override
  public void clearFaults() {
    faults.clearFaults();
  }

  @Override
  public void denyIdentity(boolean denied) {
    faults.denyIdentity(denied);
  }

  @Override
  public boolean identityDenied() {
    return faults.identityDenied();
  }

  @Override
  public void setLatency(Duration latency) {
    faults.setLatency(latency);
  }

  @Override
  public Duration latency() {
    return faults.latency();
  }

  @Override
  public long count(Operation operation) {
    return faults.count(operation);
  }

  @Override
  public void resetCounters() {
    faults.resetCounters();
  }

  @Override
  public String toString() {
    return "FaultInjectingProvider[" + delegate() + "; calls: " + faults.summary() + "]";
  }

  /**
   * Configures a {@link FaultInjectingProvider}.
   *
   * <p><b>Thread safety:</b> not thread-safe; use from one thread.
   */
  public static final class Builder {
    private @Nullable KeyEncryptionKeyProvider delegate;
    private Duration latency = Duration.ZERO;

    private Builder() {}

    /**
     * The provider to wrap (required).
     *
     * @param delegate the provider
     * @return this builder
     * @throws NullPointerException if {@code delegate} is null
     */
    public Builder delegate(KeyEncryptionKeyProvider delegate) {
      this.delegate = Objects.requireNonNull(delegate, "delegate");
      return this;
    }

    /**
     * Initial simulated latency per call (default none); can be changed later with {@link
     * FaultInjectingProvider#setLatency}.
     *
     * @param latency the delay, not negative
     * @return this builder
     * @throws NullPointerException if {@code latency} is null
     * @throws IllegalArgumentException if {@code latency} is negative
     */
    public Builder latency(Duration latency) {
      this.latency = FaultInjector.checkLatency(latency);
      return this;
    }

    /**
     * Builds the provider.
     *
     * @return the provider
     * @throws IllegalStateException if no delegate was set
     */
    public FaultInjectingProvider build() {
      if (delegate == null) {
        throw new IllegalStateException("delegate is required");
      }
      return new FaultInjectingProvider(this);
    }
  }
}
