package dev.cmk.examples.fhir.internal;

import ca.uhn.fhir.rest.api.server.IBundleProvider;
import dev.cmk.examples.fhir.internal.ResourceStore.VersionKey;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.function.Function;
import org.hl7.fhir.instance.model.api.IBaseResource;

/** A lazily decrypted result list: the index is read up front, resources per page. */
final class StoredVersionBundle implements IBundleProvider {
  private final List<VersionKey> keys;
  private final Function<List<VersionKey>, List<IBaseResource>> loader;
  private final KeyAccessGate gate;
  private final Instant published;

  StoredVersionBundle(
      List<VersionKey> keys,
      Function<List<VersionKey>, List<IBaseResource>> loader,
      KeyAccessGate gate,
      Instant published) {
    this.keys = List.copyOf(keys);
    this.loader = loader;
    this.gate = gate;
    this.published = published;
  }

  @Override
  public org.hl7.fhir.instance.model.api.IPrimitiveType<Date> getPublished() {
    return new org.hl7.fhir.r4.model.InstantType(Date.from(published));
  }

  @Override
  public List<IBaseResource> getResources(int fromIndex, int toIndex) {
    int from = Math.max(0, Math.min(fromIndex, keys.size()));
    int to = Math.max(from, Math.min(toIndex, keys.size()));
    try {
      gate.check(); // later pages may be fetched after the key was revoked
      return loader.apply(keys.subList(from, to));
    } catch (RuntimeException e) {
      throw KeyAccessOutcomes.translate(e, gate.guard());
    }
  }

  @Override
  public String getUuid() {
    return null;
  }

  @Override
  public Integer preferredPageSize() {
    return null;
  }

  @Override
  public Integer size() {
    return keys.size();
  }
}
