package dev.cmk.core.tenant;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.security.PublicKey;
import java.util.List;
import java.util.Optional;

/**
 * One tenant's view of a shared provider: the same provider id and calls, but it serves only the
 * tenant's own keys (any version), so a tenant's instance never routes another tenant's envelope
 * to a provider, even when both tenants' keys live in one vault. Closing it does nothing: the
 * registry owns the shared provider.
 *
 * <p>Thread-safe (immutable; the shared provider is thread-safe).
 */
final class ScopedProvider implements KeyEncryptionKeyProvider {
  private final KeyEncryptionKeyProvider shared;
  private final List<KeyReference> keys; // versionless

  ScopedProvider(KeyEncryptionKeyProvider shared, List<KeyReference> keys) {
    this.shared = shared;
    this.keys = keys.stream().map(KeyReference::versionless).distinct().toList();
  }

  KeyEncryptionKeyProvider shared() {
    return shared;
  }

  private boolean own(KeyReference reference) {
    for (KeyReference k : keys) {
      if (k.sameKeyAs(reference)) {
        return true;
      }
    }
    return false;
  }

  private KeyReference checked(KeyReference reference) {
    if (!own(reference)) {
      throw new KeyNotFoundException("the key is not one of this tenant's keys", reference);
    }
    return reference;
  }

  @Override
  public String id() {
    return shared.id();
  }

  @Override
  public boolean serves(KeyReference reference) {
    return own(reference) && shared.serves(reference);
  }

  @Override
  public KeyDescription describe(KeyReference reference) {
    return shared.describe(checked(reference));
  }

  @Override
  public KeyReference resolveLatest(KeyReference reference) {
    return shared.resolveLatest(checked(reference));
  }

  @Override
  public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
    return shared.wrap(checked(reference), dataKey);
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    checked(wrappedKey.keyReference());
    return shared.unwrap(wrappedKey);
  }

  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    return shared.publicKey(checked(reference));
  }

  @Override
  public String toString() {
    return "ScopedProvider[" + shared.id() + ", keys=" + keys.size() + "]";
  }
}
