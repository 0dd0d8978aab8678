package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The providers the application configured, by id. Decryption resolves only among these: an
 * envelope naming any other provider is refused, never looked up globally.
 */
public final class Providers {
  private volatile Map<String, KeyEncryptionKeyProvider> byId;

  public Providers(List<KeyEncryptionKeyProvider> providers) {
    Map<String, KeyEncryptionKeyProvider> m = new LinkedHashMap<>();
    for (KeyEncryptionKeyProvider p : providers) {
      KeyEncryptionKeyProvider prev = m.putIfAbsent(p.id(), p);
      if (prev != null && prev != p) {
        throw new IllegalStateException(
            "two configured key providers have id '" + p.id() + "'");
      }
    }
    this.byId = Map.copyOf(m);
  }

  /**
   * Adds {@code provider}, replacing a configured provider with the same id (a refreshed
   * configuration, e.g. a new identity).
   */
  public synchronized void replace(KeyEncryptionKeyProvider provider) {
    Map<String, KeyEncryptionKeyProvider> m = new LinkedHashMap<>(byId);
    m.put(provider.id(), provider);
    byId = Map.copyOf(m);
  }

  public Collection<KeyEncryptionKeyProvider> all() {
    return byId.values();
  }

  public KeyEncryptionKeyProvider get(String id) {
    KeyEncryptionKeyProvider p = byId.get(id);
    if (p == null) {
      throw new KeyNotFoundException("no configured key provider has id '" + id + "'", null);
    }
    return p;
  }

  /**
   * The one configured provider that serves {@code key}, for writes when no provider id was named.
   *
   * @throws IllegalStateException if none or several serve it
   */
  public KeyEncryptionKeyProvider servingWrites(KeyReference key) {
    List<KeyEncryptionKeyProvider> serving = new java.util.ArrayList<>();
    for (KeyEncryptionKeyProvider p : byId.values()) {
      if (p.serves(key)) {
        serving.add(p);
      }
    }
    if (serving.size() != 1) {
      throw new IllegalStateException(serving.isEmpty()
          ? "no configured key provider serves " + key
          : "several configured key providers serve " + key
              + ": name one with writeKey(provider id, key)");
    }
    return serving.get(0);
  }

  /** The provider serving {@code ref} for writes. */
  public KeyEncryptionKeyProvider forWriting(String id, KeyReference ref) {
    KeyEncryptionKeyProvider p = get(id);
    if (!p.serves(ref)) {
      throw new IllegalStateException("key provider '" + id + "' does not serve " + ref);
    }
    return p;
  }

  /**
   * Turns a parsed header into a {@link WrappedKey}, checking that a configured provider serves
   * the named key.
   *
   * @throws InvalidCiphertextException if the key reference in the header is malformed
   * @throws KeyNotFoundException if no configured provider serves it
   */
  public WrappedKey wrappedKeyOf(EnvelopeHeader header) {
    KeyEncryptionKeyProvider p = get(header.providerId());
    KeyReference ref;
    try {
      ref = KeyReference.parse(header.keyReferenceText());
    } catch (IllegalArgumentException e) {
      throw new InvalidCiphertextException();
    }
    if (!ref.isVersioned()) {
      throw new InvalidCiphertextException();
    }
    if (!p.serves(ref)) {
      throw new KeyNotFoundException(
          "key provider '" + p.id() + "' is not configured to serve this key", ref);
    }
    return new WrappedKey(p.id(), ref, header.wrapAlgorithm(), header.wrappedKeyBytes());
  }
}
