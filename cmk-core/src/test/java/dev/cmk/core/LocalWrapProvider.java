package dev.cmk.core;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.RsaOaep;
import java.security.PublicKey;
import java.util.Optional;

/**
 * A provider that wraps locally with the version's public key and never asks the vault (as the
 * Azure provider may within its enabled-state cache), over an in-memory vault for everything
 * else. With it, a write after a disable is refused only by the guard, so tests of the write
 * bounds cannot pass because the vault refused the wrap.
 */
final class LocalWrapProvider implements KeyEncryptionKeyProvider {
  private final KeyEncryptionKeyProvider vault;

  LocalWrapProvider(KeyEncryptionKeyProvider vault) {
    this.vault = vault;
  }

  @Override
  public String id() {
    return vault.id();
  }

  @Override
  public boolean serves(KeyReference reference) {
    return vault.serves(reference);
  }

  @Override
  public KeyDescription describe(KeyReference reference) {
    return vault.describe(reference);
  }

  @Override
  public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
    PublicKey key = vault.publicKey(reference).orElseThrow();
    return new WrappedKey(id(), reference, WrapAlgorithm.RSA_OAEP_256,
        RsaOaep.wrap(key, WrapAlgorithm.RSA_OAEP_256, dataKey));
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    return vault.unwrap(wrappedKey);
  }

  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    return vault.publicKey(reference);
  }
}
