package dev.cmk.api.spi;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import java.security.PublicKey;
import java.util.Optional;

/** A provider with an id that serves {@code local:} references only; every operation is a stub. */
final class StubProvider implements KeyEncryptionKeyProvider {
  private final String id;

  StubProvider(String id) {
    this.id = id;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public boolean serves(KeyReference reference) {
    return reference.kind() == KeyReference.Kind.LOCAL;
  }

  @Override
  public KeyDescription describe(KeyReference reference) {
    throw new UnsupportedOperationException();
  }

  @Override
  public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
    throw new UnsupportedOperationException();
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    return Optional.empty();
  }
}
