package dev.cmk.testkit;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.security.PublicKey;
import java.util.Objects;
import java.util.Optional;

/**
 * A provider that passes every key operation to a delegate, as the base of test wrappers that
 * count, record, hold or fail some of the calls: a subclass overrides only the calls it watches.
 *
 * <p>{@link #id()}, {@link #serves}, {@link #describe}, {@link #wrap}, {@link #unwrap} and {@link
 * #publicKey} are passed to the delegate unchanged. {@link #resolveLatest}, {@link #keyManager()}
 * and {@link #close()} keep the interface's defaults: {@code resolveLatest} goes through this
 * provider's own {@code describe} (so a subclass that watches describes sees it), there is no key
 * manager, and closing does not close the delegate. A subclass that wants otherwise overrides them.
 *
 * <p><b>Thread safety:</b> as safe as the delegate and the subclass.
 */
public abstract class ForwardingProvider implements KeyEncryptionKeyProvider {
  private final KeyEncryptionKeyProvider delegate;

  /**
   * A provider passing its calls to {@code delegate}.
   *
   * @param delegate the provider that answers
   * @throws NullPointerException if {@code delegate} is null
   */
  protected ForwardingProvider(KeyEncryptionKeyProvider delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /**
   * The provider that answers the forwarded calls.
   *
   * @return the delegate
   */
  public KeyEncryptionKeyProvider delegate() {
    return delegate;
  }

  /** The delegate's id. */
  @Override
  public String id() {
    return delegate.id();
  }

  /** Asks the delegate. */
  @Override
  public boolean serves(KeyReference reference) {
    return delegate.serves(reference);
  }

  /** Asks the delegate; its result or exception is returned as is. */
  @Override
  public KeyDescription describe(KeyReference reference) {
    return delegate.describe(reference);
  }

  /** Asks the delegate; its result or exception is returned as is. */
  @Override
  public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
    return delegate.wrap(reference, dataKey);
  }

  /** Asks the delegate; its result or exception is returned as is. */
  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    return delegate.unwrap(wrappedKey);
  }

  /** Asks the delegate; its result or exception is returned as is. */
  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    return delegate.publicKey(reference);
  }
}
