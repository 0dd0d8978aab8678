package dev.cmk.api.spi;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrappedKey;
import java.util.Objects;

/**
 * The one "not served" rule of the SPI: a reference a provider does not {@linkplain
 * KeyEncryptionKeyProvider#serves serve}, and a {@link WrappedKey} made by another provider, are
 * {@link KeyNotFoundException}s ("no configured provider has this key"), never {@link
 * IllegalArgumentException}s: they come from data (an envelope, a configuration), not from a
 * programming error, and callers handle them like any other missing key. Pinned by the provider
 * contract ({@code KeyEncryptionKeyProviderContract}).
 *
 * <p>Call {@link #requireServed} first in {@code describe}, {@code wrap} and {@code publicKey}, and
 * {@link #requireOwn} first in {@code unwrap}, before any backend call.
 *
 * <p><b>Thread safety:</b> stateless; as safe as the provider's {@code serves} and {@code id}.
 */
public final class ServedKeys {
  private ServedKeys() {}

  /**
   * Checks that {@code provider} serves {@code reference}.
   *
   * @param provider the provider applying the rule (usually {@code this})
   * @param reference the reference given to it
   * @return {@code reference}, for chaining
   * @throws NullPointerException if an argument is null
   * @throws KeyNotFoundException naming the reference and the provider id if it is not served
   */
  public static KeyReference requireServed(
      KeyEncryptionKeyProvider provider, KeyReference reference) {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(reference, "reference");
    if (!provider.serves(reference)) {
      throw new KeyNotFoundException(
          "key provider '" + provider.id() + "' does not serve this key reference", reference);
    }
    return reference;
  }

  /**
   * Checks that {@code wrappedKey} was made by {@code provider} (same id) for a key it serves.
   *
   * @param provider the provider applying the rule (usually {@code this})
   * @param wrappedKey the wrapped key given to {@code unwrap}
   * @return the wrapped key's (versioned) key reference
   * @throws NullPointerException if an argument is null
   * @throws KeyNotFoundException if another provider wrapped it, or the key is not served
   */
  public static KeyReference requireOwn(KeyEncryptionKeyProvider provider, WrappedKey wrappedKey) {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(wrappedKey, "wrappedKey");
    if (!provider.id().equals(wrappedKey.providerId())) {
      throw new KeyNotFoundException(
          "the key was wrapped by provider '"
              + wrappedKey.providerId()
              + "', not by '"
              + provider.id()
              + "'",
          wrappedKey.keyReference());
    }
    return requireServed(provider, wrappedKey.keyReference());
  }
}
