package dev.cmk.core.internal;

import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.datakey.DataKeyRecord;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The further key-encryption keys a format 2 record is wrapped under besides the write key — a
 * second region's vault, an escrow HSM — so that an instance configured with one of them can read
 * every record without the write key's vault. Wrapping uses only the key's public part where the
 * provider has it; an unversioned key is resolved to its latest version when a record is made.
 *
 * <p>When {@code required}, a record is made only if every further key wrapped it (a write fails
 * before anything is encrypted otherwise); when not, a key that cannot be reached is skipped with
 * a warning and {@code DataKeyRecords.rewrapAll} adds its wrapping later.
 */
public final class AdditionalWrappings {
  private static final Logger LOG = LoggerFactory.getLogger(AdditionalWrappings.class);

  /** One further key: the id of the provider that serves it and the key (any version). */
  public record Target(String providerId, KeyReference key) {}

  private final List<Target> targets;
  private final boolean required;
  private final Providers providers;

  public AdditionalWrappings(List<Target> targets, boolean required, Providers providers) {
    this.targets = List.copyOf(targets);
    this.required = required;
    this.providers = providers;
  }

  public boolean isEmpty() {
    return targets.isEmpty();
  }

  /** Wraps {@code dataKey} under every further key (all of them, or those reachable). */
  public List<WrappedKey> wrapAll(SecretBytes dataKey) {
    List<WrappedKey> out = new ArrayList<>(targets.size());
    for (Target t : targets) {
      try {
        out.add(wrap(t, dataKey));
      } catch (KeyProviderException e) {
        if (required) {
          throw e;
        }
        LOG.warn("data-key record made without its wrapping under {} ({}): re-wrap adds it later",
            t.key().versionless(), e.getClass().getSimpleName());
      }
    }
    return out;
  }

  /** The further keys {@code record} lacks a wrapping under (by key, any version). */
  List<Target> missing(DataKeyRecord record) {
    List<Target> out = new ArrayList<>();
    for (Target t : targets) {
      KeyReference k = t.key().versionless();
      if (record.wrappings().stream().noneMatch(w -> w.providerId().equals(t.providerId())
          && w.keyReference().versionless().equals(k))) {
        out.add(t);
      }
    }
    return out;
  }

  /** Wraps {@code dataKey} under each of {@code missing} (from {@link #missing}); all or throws. */
  List<WrappedKey> wrapEach(List<Target> missing, SecretBytes dataKey) {
    List<WrappedKey> out = new ArrayList<>(missing.size());
    for (Target t : missing) {
      out.add(wrap(t, dataKey));
    }
    return out;
  }

  private WrappedKey wrap(Target t, SecretBytes dataKey) {
    KeyEncryptionKeyProvider p = providers.serving(t.providerId(), t.key());
    KeyReference version = t.key().isVersioned() ? t.key() : p.resolveLatest(t.key());
    return p.wrap(version, dataKey);
  }
}
