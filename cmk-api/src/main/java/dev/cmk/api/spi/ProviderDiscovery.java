package dev.cmk.api.spi;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Finds {@link KeyEncryptionKeyProviderFactory} implementations with {@link ServiceLoader}.
 *
 * <p>There is no global registry: each call returns a fresh, immutable map. Two factories that
 * claim the same id are an error (an {@link IllegalStateException} naming both classes), never
 * "first found wins", so that a jar on the class path cannot silently replace a provider.
 */
public final class ProviderDiscovery {
  private ProviderDiscovery() {}

  /**
   * Discovers factories visible to {@code loader}.
   *
   * @param loader the class loader to search
   * @return factories by id
   * @throws IllegalStateException if two factories claim one id
   */
  public static Map<String, KeyEncryptionKeyProviderFactory> discover(ClassLoader loader) {
    Objects.requireNonNull(loader, "loader");
    return index(ServiceLoader.load(KeyEncryptionKeyProviderFactory.class, loader));
  }

  /**
   * Discovers factories on the module path and the class path of this module's layer.
   *
   * @return factories by id
   * @throws IllegalStateException if two factories claim one id
   */
  public static Map<String, KeyEncryptionKeyProviderFactory> discover() {
    return index(ServiceLoader.load(KeyEncryptionKeyProviderFactory.class));
  }

  static Map<String, KeyEncryptionKeyProviderFactory> index(
      Iterable<KeyEncryptionKeyProviderFactory> factories) {
    Map<String, KeyEncryptionKeyProviderFactory> byId = new TreeMap<>();
    for (KeyEncryptionKeyProviderFactory f : factories) {
      KeyEncryptionKeyProviderFactory previous = byId.putIfAbsent(f.id(), f);
      if (previous != null) {
        throw new IllegalStateException(
            "two key provider factories claim id '"
                + f.id()
                + "': "
                + previous.getClass().getName()
                + " and "
                + f.getClass().getName());
      }
    }
    return Collections.unmodifiableMap(byId);
  }
}
