package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.util.Collection;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The providers the application configured — several of one kind may coexist (different vaults,
 * HSMs, identities) — and the keys it retired. Decryption resolves only among these: an envelope
 * is routed to the most recently added provider with the envelope's provider id that serves the
 * named key; an envelope naming anything else, or a retired key, is refused and never looked up
 * globally. Adding a provider never removes one: a key the instance wrote with stays readable
 * after the write key moved to another vault or HSM, until the application retires it.
 *
 * <p>Thread-safe: the provider list is copied on write; retirements are a concurrent set.
 */
public final class Providers {
  private volatile List<KeyEncryptionKeyProvider> all; // oldest first; later ones win
  private final Set<String> retired = ConcurrentHashMap.newKeySet(); // versionless references
  private final Set<String> decryptOnly = ConcurrentHashMap.newKeySet(); // versionless references

  public Providers(List<KeyEncryptionKeyProvider> providers) {
    List<KeyEncryptionKeyProvider> l = new ArrayList<>();
    for (KeyEncryptionKeyProvider p : providers) {
      if (!containsInstance(l, p)) {
        l.add(p);
      }
    }
    this.all = List.copyOf(l);
  }

  private static boolean containsInstance(List<KeyEncryptionKeyProvider> l,
      KeyEncryptionKeyProvider p) {
    for (KeyEncryptionKeyProvider q : l) {
      if (q == p) {
        return true;
      }
    }
    return false;
  }

  /**
   * Adds {@code provider} (a refreshed configuration: another vault, HSM or identity); it takes
   * precedence for every key it serves, and every provider added before stays for the keys only it
   * serves.
   */
  public synchronized void add(KeyEncryptionKeyProvider provider) {
    List<KeyEncryptionKeyProvider> l = new ArrayList<>(all);
    l.removeIf(q -> q == provider);
    l.add(provider);
    all = List.copyOf(l);
  }

  /** Every configured provider, oldest first. */
  public Collection<KeyEncryptionKeyProvider> all() {
    return all;
  }

  /**
   * The provider for {@code ref} among those with {@code id}: the most recently added that
   * serves it.
   *
   * @throws KeyNotFoundException if none serves it, or the key is retired
   */
  public KeyEncryptionKeyProvider serving(String id, KeyReference ref) {
    if (!retired.isEmpty() && retired.contains(ref.versionless().toString())) {
      throw new KeyNotFoundException("the key is retired from this keyring", ref);
    }
    List<KeyEncryptionKeyProvider> l = all;
    boolean known = false;
    for (int i = l.size() - 1; i >= 0; i--) {
      KeyEncryptionKeyProvider p = l.get(i);
      if (p.id().equals(id)) {
        known = true;
        if (p.serves(ref)) {
          return p;
        }
      }
    }
    throw new KeyNotFoundException(known
        ? "no configured '" + id + "' key provider serves this key"
        : "no configured key provider has id '" + id + "'", ref);
  }

  /** Whether {@link #serving} would find a provider for {@code ref} (configured, not retired). */
  public boolean servesReadable(String id, KeyReference ref) {
    try {
      serving(id, ref);
      return true;
    } catch (KeyNotFoundException e) {
      return false;
    }
  }

  /**
   * The one configured provider that serves {@code key}, for writes when no provider id was named.
   *
   * @throws IllegalStateException if none or several serve it
   */
  public KeyEncryptionKeyProvider servingWrites(KeyReference key) {
    List<KeyEncryptionKeyProvider> serving = new ArrayList<>();
    for (KeyEncryptionKeyProvider p : all) {
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

  /** The provider with {@code id} serving {@code ref}, for writes. */
  public KeyEncryptionKeyProvider forWriting(String id, KeyReference ref) {
    try {
      return serving(id, ref);
    } catch (KeyNotFoundException e) {
      throw new IllegalStateException("key provider '" + id + "' does not serve " + ref, e);
    }
  }

  /** Retires {@code key} (all versions): its envelopes are refused from now on. */
  public void retire(KeyReference key) {
    String k = key.versionless().toString();
    retired.add(k);
    decryptOnly.remove(k);
  }

  /** Undoes {@link #retire}. */
  public void restore(KeyReference key) {
    retired.remove(key.versionless().toString());
  }

  /** Records {@code key} as readable though not written (a previous write key, or declared). */
  public void keepReadable(KeyReference key) {
    String k = key.versionless().toString();
    retired.remove(k);
    decryptOnly.add(k);
  }

  /** The keys (versionless) recorded as readable though not written. */
  public Set<KeyReference> decryptOnly() {
    Set<KeyReference> out = new java.util.LinkedHashSet<>();
    for (String r : decryptOnly) {
      out.add(KeyReference.parse(r));
    }
    return Set.copyOf(out);
  }

  /** The retired keys (versionless). */
  public Set<KeyReference> retired() {
    Set<KeyReference> out = new java.util.LinkedHashSet<>();
    for (String r : retired) {
      out.add(KeyReference.parse(r));
    }
    return Set.copyOf(out);
  }

  /**
   * Turns a parsed header into a {@link WrappedKey}, checking that a configured provider serves
   * the named key and that it is not retired.
   *
   * @throws InvalidCiphertextException if the key reference in the header is malformed
   * @throws KeyNotFoundException if no configured provider serves it, or it is retired
   */
  public WrappedKey wrappedKeyOf(EnvelopeHeader header) {
    KeyReference ref = header.keyReference();
    KeyEncryptionKeyProvider p = serving(header.providerId(), ref);
    return new WrappedKey(p.id(), ref, header.wrapAlgorithm(), header.wrappedKeyBytes());
  }
}
