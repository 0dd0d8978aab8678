package dev.cmk.core.tenant;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

/**
 * The providers of a registry, one per name (a vault or HSM with its identity and rate budget),
 * made by the application's factory on first use and shared by every tenant that names it. Two
 * tenants naming one provider never cause two to be built; a factory failure is retried on the
 * next use. Building one provider holds only that name's lock.
 *
 * <p>Thread-safe.
 */
final class ProviderPool {
  private static final Logger LOG = LoggerFactory.getLogger(ProviderPool.class);

  private final Function<String, ? extends KeyEncryptionKeyProvider> factory;
  private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();

  ProviderPool(Function<String, ? extends KeyEncryptionKeyProvider> factory) {
    this.factory = factory;
  }

  /** The provider named {@code name}, made once. */
  KeyEncryptionKeyProvider get(String name) {
    return slots.computeIfAbsent(name, Slot::new).get();
  }

  /** How many providers were made. */
  int size() {
    int n = 0;
    for (Slot s : slots.values()) {
      if (s.made()) {
        n++;
      }
    }
    return n;
  }

  /** Closes every provider made here (the registry owns them). */
  void close() {
    List<KeyEncryptionKeyProvider> made = new ArrayList<>();
    for (Slot s : slots.values()) {
      KeyEncryptionKeyProvider p = s.provider;
      if (p != null && made.stream().noneMatch(q -> q == p)) {
        made.add(p);
      }
    }
    for (KeyEncryptionKeyProvider p : made) {
      try {
        p.close();
      } catch (RuntimeException e) {
        LOG.warn("event=cmk.tenant.provider-close-failed provider={} error=\"{}\"", p.id(),
            e.getMessage());
      }
    }
  }

  private final class Slot {
    private final String name;
    private volatile @Nullable KeyEncryptionKeyProvider provider;

    Slot(String name) {
      this.name = name;
    }

    boolean made() {
      return provider != null;
    }

    KeyEncryptionKeyProvider get() {
      KeyEncryptionKeyProvider p = provider;
      if (p != null) {
        return p;
      }
      synchronized (this) {
        if (provider == null) {
          provider = Objects.requireNonNull(factory.apply(name),
              () -> "the provider factory returned null for '" + name + "'");
          LOG.info("event=cmk.tenant.provider-created name={} id={}", name, provider.id());
        }
        return provider;
      }
    }
  }
}
