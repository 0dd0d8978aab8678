package dev.cmk.azure;

import com.azure.core.cryptography.AsyncKeyEncryptionKey;
import com.azure.core.cryptography.AsyncKeyEncryptionKeyResolver;
import com.azure.core.cryptography.KeyEncryptionKey;
import com.azure.core.cryptography.KeyEncryptionKeyResolver;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.util.Objects;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Adapts cmk key-encryption keys to azure-core's {@link KeyEncryptionKey} / {@link
 * AsyncKeyEncryptionKey} and their resolvers, so that the keys configured for cmk also serve Azure
 * Storage client-side encryption (which stores {@link KeyEncryptionKey#getKeyId()} with each blob
 * and resolves it again to decrypt).
 *
 * <p>Wrapping is done by the provider ({@code RSA-OAEP-256} only, the algorithm of {@link
 * AzureKeyVaultProvider}); unwrapping accepts {@code RSA-OAEP-256} and {@code RSA-OAEP}. Every
 * failure is the provider's cmk exception; unsupported algorithms are {@link
 * IllegalArgumentException}s. Async variants run the provider's blocking calls on Reactor's
 * bounded-elastic scheduler.
 *
 * <p><b>Thread safety:</b> the adapters are immutable and as thread-safe as the provider.
 */
public final class AzureKeyEncryptionKeys {
  private AzureKeyEncryptionKeys() {}

  /**
   * A key-encryption key pinned to one version; a versionless reference is resolved to its latest
   * version now.
   *
   * @param provider the provider serving the key
   * @param key the key
   * @return the adapter, whose {@code getKeyId()} is the versioned key URL
   * @throws KeyNotFoundException if the provider does not serve the key or it does not exist
   * @throws dev.cmk.api.KeyProviderException if resolving the latest version fails
   */
  public static KeyEncryptionKey keyEncryptionKey(KeyEncryptionKeyProvider provider, KeyReference key) {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(key, "key");
    if (!provider.serves(key)) {
      throw new KeyNotFoundException("the provider does not serve this key", key);
    }
    return new Adapter(provider, key.isVersioned() ? key : provider.resolveLatest(key));
  }

  /**
   * The asynchronous form of {@link #keyEncryptionKey}.
   *
   * @param provider the provider serving the key
   * @param key the key
   * @return the adapter
   * @throws KeyNotFoundException if the provider does not serve the key or it does not exist
   * @throws dev.cmk.api.KeyProviderException if resolving the latest version fails
   */
  public static AsyncKeyEncryptionKey asyncKeyEncryptionKey(
      KeyEncryptionKeyProvider provider, KeyReference key) {
    return new AsyncAdapter((Adapter) keyEncryptionKey(provider, key));
  }

  /**
   * Resolves key ids (key URLs, as stored by Azure Storage) to key-encryption keys.
   *
   * @param provider the provider
   * @return the resolver; it throws {@link IllegalArgumentException} for an invalid key id and
   *     {@link KeyNotFoundException} for a key the provider does not serve
   */
  public static KeyEncryptionKeyResolver resolver(KeyEncryptionKeyProvider provider) {
    Objects.requireNonNull(provider, "provider");
    return keyId -> keyEncryptionKey(provider, KeyReference.parse(Objects.requireNonNull(keyId, "keyId")));
  }

  /**
   * The asynchronous form of {@link #resolver}.
   *
   * @param provider the provider
   * @return the resolver; errors are signalled through the returned {@link Mono}
   */
  public static AsyncKeyEncryptionKeyResolver asyncResolver(KeyEncryptionKeyProvider provider) {
    Objects.requireNonNull(provider, "provider");
    return keyId ->
        Mono.fromCallable(
                () -> asyncKeyEncryptionKey(provider, KeyReference.parse(Objects.requireNonNull(keyId, "keyId"))))
            .subscribeOn(Schedulers.boundedElastic());
  }

  private static WrapAlgorithm algorithm(String name) {
    Objects.requireNonNull(name, "algorithm");
    for (WrapAlgorithm a : WrapAlgorithm.values()) {
      if (a.jwaName().equals(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unsupported key wrap algorithm: " + name);
  }

  private static final class Adapter implements KeyEncryptionKey {
    private final KeyEncryptionKeyProvider provider;
    private final KeyReference key;

    Adapter(KeyEncryptionKeyProvider provider, KeyReference key) {
      this.provider = provider;
      this.key = key;
    }

    @Override
    public String getKeyId() {
      return key.toString();
    }

    @Override
    public byte[] wrapKey(String algorithm, byte[] plainKey) {
      Objects.requireNonNull(plainKey, "key");
      SecretBytes secret = SecretBytes.copyOf(plainKey);
      try {
        WrappedKey wrapped = provider.wrap(key, secret);
        if (wrapped.algorithm() != algorithm(algorithm)) {
          throw new IllegalArgumentException(
              "the provider wraps with " + wrapped.algorithm().jwaName() + ", not " + algorithm);
        }
        return wrapped.ciphertext();
      } finally {
        secret.destroy();
      }
    }

    @Override
    public byte[] unwrapKey(String algorithm, byte[] encryptedKey) {
      Objects.requireNonNull(encryptedKey, "encryptedKey");
      SecretBytes secret =
          provider.unwrap(new WrappedKey(provider.id(), key, algorithm(algorithm), encryptedKey));
      try {
        return secret.copy();
      } finally {
        secret.destroy();
      }
    }
  }

  private static final class AsyncAdapter implements AsyncKeyEncryptionKey {
    private final Adapter sync;

    AsyncAdapter(Adapter sync) {
      this.sync = sync;
    }

    @Override
    public Mono<String> getKeyId() {
      return Mono.just(sync.getKeyId());
    }

    @Override
    public Mono<byte[]> wrapKey(String algorithm, byte[] key) {
      return Mono.fromCallable(() -> sync.wrapKey(algorithm, key)).subscribeOn(Schedulers.boundedElastic());
    }

    @Override
    public Mono<byte[]> unwrapKey(String algorithm, byte[] encryptedKey) {
      return Mono.fromCallable(() -> sync.unwrapKey(algorithm, encryptedKey))
          .subscribeOn(Schedulers.boundedElastic());
    }
  }
}
