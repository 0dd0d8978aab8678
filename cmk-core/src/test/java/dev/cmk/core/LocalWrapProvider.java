package dev.cmk.core;

import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.testkit.ForwardingProvider;
import dev.cmk.api.spi.RsaOaep;
import java.security.PublicKey;

/**
 * A provider that wraps locally with the version's public key and never asks the vault (as the
 * Azure provider may within its enabled-state cache), over an in-memory vault for everything
 * else. With it, a write after a disable is refused only by the guard, so tests of the write
 * bounds cannot pass because the vault refused the wrap.
 */
final class LocalWrapProvider extends ForwardingProvider {

  LocalWrapProvider(KeyEncryptionKeyProvider vault) {
    super(vault);
  }

  @Override
  public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
    PublicKey key = delegate().publicKey(reference).orElseThrow();
    return new WrappedKey(id(), reference, WrapAlgorithm.RSA_OAEP_256,
        RsaOaep.wrap(key, WrapAlgorithm.RSA_OAEP_256, dataKey));
  }
}
