package dev.cmk.core;

import dev.cmk.api.KeyReference;
import dev.cmk.core.internal.DecryptionKeyCache;
import dev.cmk.core.internal.Providers;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The keys an {@link EnvelopeCrypto} reads and writes under: the write key, and the keys it only
 * decrypts. Several providers of one kind coexist (key vaults, HSMs, identities); an envelope is
 * routed to the most recently configured provider with its provider id that serves the key it
 * names.
 *
 * <p>When the write key moves to another key — another version is rotation, another key, vault or
 * HSM is a move — through {@link KeyAccessGuard#refresh()}, the previous key becomes a
 * <em>decrypt-only</em> key: everything written under it stays readable, through the provider that
 * served it, until the application deliberately {@linkplain #retire retires} it. A retired key is
 * refused before any provider call ({@link dev.cmk.api.KeyNotFoundException}), and every cached
 * data key under it is destroyed at once.
 *
 * <p>Envelopes under a key the instance never wrote with are readable when a configured provider
 * serves the key (providers are scoped to the vaults and tokens they are configured for); declare
 * them with {@link #keepReadable} to list them here, retire them to refuse them.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; changes take effect for the next read.
 */
public final class Keyring {
  private final Providers providers;
  private final KeyAccessGuard guard;
  private final DecryptionKeyCache decryptCache;

  Keyring(Providers providers, KeyAccessGuard guard, DecryptionKeyCache decryptCache) {
    this.providers = providers;
    this.guard = guard;
    this.decryptCache = decryptCache;
  }

  /**
   * The key new envelopes are written under, as configured.
   *
   * @return the write key, or empty for a decrypt-only instance
   */
  public Optional<KeyReference> writeKey() {
    return guard.configuredKey();
  }

  /**
   * The keys (versionless) recorded as readable but not written: previous write keys and keys
   * declared with {@link #keepReadable}.
   *
   * @return an immutable snapshot
   */
  public Set<KeyReference> decryptOnlyKeys() {
    return providers.decryptOnly();
  }

  /**
   * The retired keys (versionless), whose envelopes are refused.
   *
   * @return an immutable snapshot
   */
  public Set<KeyReference> retiredKeys() {
    return providers.retired();
  }

  /**
   * Declares {@code key} (any version) readable though not written, undoing a retirement.
   *
   * @param key the key
   * @throws NullPointerException if {@code key} is null
   */
  public void keepReadable(KeyReference key) {
    providers.keepReadable(Objects.requireNonNull(key, "key"));
  }

  /**
   * Retires {@code key}, all versions: from now on its envelopes are refused with {@link
   * dev.cmk.api.KeyNotFoundException} before any provider is asked, and every cached data key
   * under it is destroyed now. Re-wrap what is still needed first ({@link
   * EnvelopeCrypto#rewrapAll}). {@link #keepReadable} undoes it.
   *
   * @param key the key to retire
   * @throws NullPointerException if {@code key} is null
   * @throws IllegalArgumentException if {@code key} is the write key
   */
  public void retire(KeyReference key) {
    Objects.requireNonNull(key, "key");
    Optional<KeyReference> write = writeKey();
    if (write.isPresent() && write.get().sameKeyAs(key)) {
      throw new IllegalArgumentException("the write key cannot be retired: move the write key"
          + " first (keyConfiguration + refresh)");
    }
    providers.retire(key);
    decryptCache.invalidateWhere(v -> {
      try {
        return KeyReference.parse(v.reference()).sameKeyAs(key);
      } catch (IllegalArgumentException notAReference) {
        return false;
      }
    });
  }

  @Override
  public String toString() {
    return "Keyring[write=" + writeKey().map(Object::toString).orElse("-") + ", decryptOnly="
        + decryptOnlyKeys() + ", retired=" + retiredKeys() + "]";
  }
}
