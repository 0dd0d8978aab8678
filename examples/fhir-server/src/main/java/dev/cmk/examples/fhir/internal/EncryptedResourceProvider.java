package dev.cmk.examples.fhir.internal;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.model.api.ResourceMetadataKeyEnum;
import ca.uhn.fhir.model.valueset.BundleEntrySearchModeEnum;
import ca.uhn.fhir.model.valueset.BundleEntryTransactionMethodEnum;
import ca.uhn.fhir.rest.annotation.ConditionalUrlParam;
import ca.uhn.fhir.rest.annotation.Create;
import ca.uhn.fhir.rest.annotation.Delete;
import ca.uhn.fhir.rest.annotation.History;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.OptionalParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.annotation.ResourceParam;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.annotation.Update;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.DateAndListParam;
import ca.uhn.fhir.rest.param.TokenAndListParam;
import ca.uhn.fhir.rest.param.TokenOrListParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import dev.cmk.core.KeyAccessGuard;
import dev.cmk.examples.fhir.internal.ResourceStore.StoredVersion;
import dev.cmk.examples.fhir.internal.ResourceStore.VersionKey;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.hl7.fhir.instance.model.api.IAnyResource;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Resource;

/**
 * The FHIR REST interactions of one resource type, on top of {@link ResourceStore}: create (also
 * conditional, {@code If-None-Exist}), read, vread, update (also as create, with {@code If-Match},
 * and conditional, {@code PUT [type]?criteria}), delete, instance history, and search by {@code
 * _id} and {@code _lastUpdated}. Server-assigned ids are random UUIDs. Conditions support {@code
 * _id} and {@code identifier} ({@link ConditionalUrl}), matched through the {@link BlindIndex};
 * HAPI answers {@code Prefer: return=minimal|representation|OperationOutcome}.
 *
 * <p>Every cmk failure is translated by {@link KeyAccessOutcomes} into an HTTP 500 whose
 * OperationOutcome says the customer-managed key is not accessible.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (HAPI calls it from many request threads).
 *
 * @param <T> the resource type
 */
public final class EncryptedResourceProvider<T extends Resource> implements IResourceProvider {
  private final Class<T> type;
  private final String typeName;
  private final FhirContext fhir;
  private final ResourceStore store;
  private final KeyAccessGate gate;
  private final KeyAccessGuard guard;
  private final Clock clock;
  private final ResourceWrites<T> writes;
  private final BlindIndex index;

  /**
   * @param type the resource class, e.g. {@code Patient.class}
   * @param fhir the FHIR context (R4)
   * @param store the encrypted store
   * @param index the blind index of identifiers
   * @param conditional runs conditional writes under the database lock
   * @param gate refuses requests while the key is not accessible
   * @param clock the server's clock (last-updated instants)
   */
  public EncryptedResourceProvider(Class<T> type, FhirContext fhir, ResourceStore store,
      BlindIndex index, ConditionalOperations conditional, KeyAccessGate gate, Clock clock) {
    this.type = Objects.requireNonNull(type, "type");
    this.fhir = Objects.requireNonNull(fhir, "fhir");
    this.store = Objects.requireNonNull(store, "store");
    this.gate = Objects.requireNonNull(gate, "gate");
    this.guard = gate.guard();
    this.clock = Objects.requireNonNull(clock, "clock");
    this.typeName = fhir.getResourceType(type);
    this.index = Objects.requireNonNull(index, "index");
    this.writes = new ResourceWrites<>(typeName, fhir, store, index,
        Objects.requireNonNull(conditional, "conditional"), clock, this::parse);
  }

  @Override
  public Class<T> getResourceType() {
    return type;
  }

  /**
   * {@code POST [type]}: stores version 1 under a new server-assigned id. With {@code
   * If-None-Exist} (conditional create): no match creates, one match answers 200 with the
   * existing resource and writes nothing, several matches answer 412 ({@link
   * ConditionalOperations} serializes this in the database).
   *
   * @param resource the resource; an id in it is ignored
   * @param conditionalUrl the {@code If-None-Exist} criteria, or null
   * @return the outcome with the stored (or found) resource
   */
  @Create
  public MethodOutcome create(
      @ResourceParam T resource, @ConditionalUrlParam String conditionalUrl) {
    try {
      gate.check();
      if (conditionalUrl == null || conditionalUrl.isBlank()) {
        return writes.write(UUID.randomUUID().toString(), 0, resource, true);
      }
      return writes.conditionalCreate(resource, ConditionalUrl.parse(typeName, conditionalUrl));
    } catch (RuntimeException e) {
      throw KeyAccessOutcomes.translate(e, guard);
    }
  }

  /**
   * {@code GET [type]/[id]} and {@code GET [type]/[id]/_history/[vid]}.
   *
   * @param id the id, with a version for vread
   * @return the resource
   */
  @Read(version = true)
  public T read(@IdParam IdType id) {
    try {
      gate.check();
      String rid = checkedId(id);
      if (id.hasVersionIdPart()) {
        long version = versionOf(id);
        StoredVersion v =
            store.read(typeName, rid, version).orElseThrow(() -> new ResourceNotFoundException(id));
        if (v.key().deleted()) {
          throw new ResourceGoneException(id);
        }
        return parse(v);
      }
      VersionKey current =
          store.current(typeName, rid).orElseThrow(() -> new ResourceNotFoundException(id));
      if (current.deleted()) {
        throw new ResourceGoneException(id);
      }
      return parse(
          store
              .read(typeName, rid, current.version())
              .orElseThrow(() -> new ResourceNotFoundException(id)));
    } catch (RuntimeException e) {
      throw KeyAccessOutcomes.translate(e, guard);
    }
  }

  /**
   * {@code PUT [type]/[id]}: stores the next version; creates the resource (update as create, 201
   * with {@code Location}) when the id is new or deleted. With {@code If-Match}, the current
   * version must match. {@code PUT [type]?criteria} (conditional update): one match is updated,
   * none creates (under the body's id if it has one), several answer 412.
   *
   * @param id the id, with the expected version when the client sent {@code If-Match}; null for
   *     a conditional update
   * @param resource the resource (HAPI has checked that its id matches the URL)
   * @param conditionalUrl the criteria of a conditional update, or null
   * @param request the request (its response gets {@code Location} when the update created)
   * @return the outcome with the stored resource
   */
  @Update
  public MethodOutcome update(@IdParam IdType id, @ResourceParam T resource,
      @ConditionalUrlParam String conditionalUrl, RequestDetails request) {
    try {
      gate.check();
      if (conditionalUrl != null && (id == null || !id.hasIdPart())) {
        return locate(request, writes.conditionalUpdate(resource,
            ConditionalUrl.parse(typeName, conditionalUrl), bodyId(request)));
      }
      String rid = checkedId(id);
      Optional<VersionKey> current = store.current(typeName, rid);
      if (id.hasVersionIdPart()) {
        long expected = versionOf(id);
        if (current.isEmpty() || current.get().version() != expected) {
          throw new PreconditionFailedException(
              typeName + "/" + rid + " is not at version " + expected);
        }
      }
      long currentVersion = current.map(VersionKey::version).orElse(0L);
      boolean created = current.isEmpty() || current.get().deleted();
      return locate(request, writes.write(rid, currentVersion, resource, created));
    } catch (RuntimeException e) {
      throw KeyAccessOutcomes.translate(e, guard);
    }
  }

  /**
   * {@code DELETE [type]/[id]}: records a deletion version (history keeps the earlier ones).
   *
   * @param id the id
   * @return the outcome naming the deletion version
   */
  @Delete
  public MethodOutcome delete(@IdParam IdType id) {
    try {
      gate.check();
      String rid = checkedId(id);
      VersionKey current =
          store.current(typeName, rid).orElseThrow(() -> new ResourceNotFoundException(id));
      if (current.deleted()) {
        return new MethodOutcome(new IdType(typeName, rid, Long.toString(current.version())));
      }
      VersionKey deleted = store.write(typeName, rid, current.version(), now(), null);
      return new MethodOutcome(new IdType(typeName, rid, Long.toString(deleted.version())));
    } catch (RuntimeException e) {
      throw KeyAccessOutcomes.translate(e, guard);
    }
  }

  /**
   * {@code GET [type]/[id]/_history}: every version, newest first; deletions appear as {@code
   * DELETE} entries without a resource. Versions are decrypted page by page.
   *
   * @param id the id
   * @return the history
   */
  @History
  public IBundleProvider history(@IdParam IdType id) {
    try {
      gate.check();
      String rid = checkedId(id);
      List<VersionKey> versions = store.history(typeName, rid);
      if (versions.isEmpty()) {
        throw new ResourceNotFoundException(id);
      }
      return new StoredVersionBundle(versions, this::historyEntries, gate, clock.instant());
    } catch (RuntimeException e) {
      throw KeyAccessOutcomes.translate(e, guard);
    }
  }

  /**
   * {@code GET [type]?_id=...&_lastUpdated=...&identifier=...}: current, not deleted resources,
   * oldest update first. Matching uses the clear index columns and the identifier blind index
   * only; resources are decrypted page by page.
   *
   * @param ids {@code _id}, any of a comma-separated list
   * @param lastUpdated {@code _lastUpdated} conditions, with FHIR R4 date semantics ({@link
   *     LastUpdatedSearch}: a value covers the range of its precision, in UTC when it has no zone)
   * @param identifiers {@code identifier} ({@code system|value}, {@code value}, {@code |value},
   *     {@code system|}; no modifiers), matched by blind-index token
   * @return the matches
   */
  @Search(allowUnknownParams = false)
  public IBundleProvider search(
      @OptionalParam(name = IAnyResource.SP_RES_ID) TokenOrListParam ids,
      @OptionalParam(name = Constants.PARAM_LASTUPDATED) DateAndListParam lastUpdated,
      @OptionalParam(name = "identifier") TokenAndListParam identifiers) {
    try {
      gate.check();
      List<List<String>> tokens = new ArrayList<>();
      if (identifiers != null) {
        BlindIndex.Hasher hasher = index.hasher();
        for (TokenOrListParam any : identifiers.getValuesAsQueryTokens()) {
          List<String> alternatives = new ArrayList<>();
          for (TokenParam t : any.getValuesAsQueryTokens()) {
            alternatives.add(ConditionalUrl.token(t).indexToken(hasher));
          }
          tokens.add(alternatives);
        }
      }
      Set<String> idSet = new LinkedHashSet<>();
      if (ids != null) {
        for (TokenParam t : ids.getValuesAsQueryTokens()) {
          String value = new IdType(t.getValue()).getIdPart();
          if (value != null && ResourceStore.ID.matcher(value).matches()) {
            idSet.add(value);
          }
        }
        if (idSet.isEmpty()) {
          return new StoredVersionBundle(List.of(), this::searchEntries, gate, clock.instant());
        }
      }
      List<VersionKey> matches =
          store.search(typeName, idSet, LastUpdatedSearch.conditions(lastUpdated), tokens);
      return new StoredVersionBundle(matches, this::searchEntries, gate, clock.instant());
    } catch (RuntimeException e) {
      throw KeyAccessOutcomes.translate(e, guard);
    }
  }

  // ---------------------------------------------------------------- internals

  /**
   * The id in the request body as the client sent it: HAPI clears the parsed resource's id on a
   * conditional update, but FHIR wants a mismatch between it and the match answered with 400.
   */
  private String bodyId(RequestDetails request) {
    if (request == null) {
      return null;
    }
    EncodingEnum encoding =
        EncodingEnum.forContentType(request.getHeader(Constants.HEADER_CONTENT_TYPE));
    IBaseResource raw = (encoding == null ? EncodingEnum.JSON : encoding).newParser(fhir)
        .parseResource(new String(request.loadRequestContents(), StandardCharsets.UTF_8));
    return raw.getIdElement().getIdPart();
  }

  /** An update that created the resource answers 201 with {@code Location}, as a create does. */
  private static MethodOutcome locate(RequestDetails request, MethodOutcome outcome) {
    if (Boolean.TRUE.equals(outcome.getCreated()) && request != null) {
      IdType id = (IdType) outcome.getId();
      request.getResponse().addHeader(Constants.HEADER_LOCATION,
          id.withServerBase(request.getFhirServerBase(), id.getResourceType()).getValue());
    }
    return outcome;
  }

  private List<IBaseResource> historyEntries(List<VersionKey> keys) {
    List<IBaseResource> out = new ArrayList<>(keys.size());
    for (StoredVersion v : store.readAll(keys)) {
      T r;
      BundleEntryTransactionMethodEnum method;
      if (v.key().deleted()) {
        r = newInstance();
        r.setId(new IdType(typeName, v.key().id(), Long.toString(v.key().version())));
        r.getMeta()
            .setVersionId(Long.toString(v.key().version()))
            .setLastUpdated(Date.from(v.key().lastUpdated()));
        method = BundleEntryTransactionMethodEnum.DELETE;
      } else {
        r = parse(v);
        method = v.key().version() == 1
            ? BundleEntryTransactionMethodEnum.POST
            : BundleEntryTransactionMethodEnum.PUT;
      }
      ResourceMetadataKeyEnum.ENTRY_TRANSACTION_METHOD.put(r, method);
      out.add(r);
    }
    return out;
  }

  private List<IBaseResource> searchEntries(List<VersionKey> keys) {
    List<IBaseResource> out = new ArrayList<>(keys.size());
    for (StoredVersion v : store.readAll(keys)) {
      if (v.key().deleted()) {
        continue; // deleted after the search ran
      }
      T r = parse(v);
      ResourceMetadataKeyEnum.ENTRY_SEARCH_MODE.put(r, BundleEntrySearchModeEnum.MATCH);
      out.add(r);
    }
    return out;
  }

  private T parse(StoredVersion v) {
    String json = new String(v.json(), StandardCharsets.UTF_8);
    T r = fhir.newJsonParser().parseResource(type, json);
    // The id comes from the row whose associated data just authenticated the envelope.
    r.setId(new IdType(typeName, v.key().id(), Long.toString(v.key().version())));
    return r;
  }

  private T newInstance() {
    try {
      return type.getDeclaredConstructor().newInstance();
    } catch (InstantiationException
        | IllegalAccessException
        | InvocationTargetException
        | NoSuchMethodException e) {
      throw new IllegalStateException("cannot instantiate " + typeName, e);
    }
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private static String checkedId(IdType id) {
    String rid = id.getIdPart();
    if (rid == null || !ResourceStore.ID.matcher(rid).matches()) {
      throw new InvalidRequestException("resource ids are 1-64 characters of [A-Za-z0-9-.]");
    }
    return rid;
  }

  private static long versionOf(IdType id) {
    try {
      long v = Long.parseLong(id.getVersionIdPart());
      if (v < 1) {
        throw new ResourceNotFoundException(id);
      }
      return v;
    } catch (NumberFormatException e) {
      throw new ResourceNotFoundException(id);
    }
  }
}
