package dev.cmk.examples.fhir.internal;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import dev.cmk.examples.fhir.internal.ResourceStore.StoredVersion;
import dev.cmk.examples.fhir.internal.ResourceStore.VersionKey;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;

/**
 * The writes of {@link EncryptedResourceProvider}: plain writes, conditional create and
 * conditional update (FHIR R4 semantics: no match creates, one match is returned or updated,
 * several answer 412), each keeping the identifier blind index in the same transaction.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 *
 * @param <T> the resource type
 */
final class ResourceWrites<T extends Resource> {
  private final String typeName;
  private final FhirContext fhir;
  private final ResourceStore store;
  private final BlindIndex index;
  private final ConditionalOperations conditional;
  private final Clock clock;
  private final Function<StoredVersion, T> parse;

  ResourceWrites(String typeName, FhirContext fhir, ResourceStore store, BlindIndex index,
      ConditionalOperations conditional, Clock clock, Function<StoredVersion, T> parse) {
    this.typeName = typeName;
    this.fhir = fhir;
    this.store = store;
    this.index = index;
    this.conditional = conditional;
    this.clock = clock;
    this.parse = parse;
  }

  /** Writes the next version in a transaction of its own. */
  MethodOutcome write(String id, long currentVersion, T resource, boolean created) {
    Set<String> tokens = tokensOf(resource, null);
    Instant now = prepare(id, currentVersion + 1, resource);
    store.write(typeName, id, currentVersion, now, json(resource), tokens);
    return outcome(resource, created);
  }

  /** {@code POST} with {@code If-None-Exist}. */
  MethodOutcome conditionalCreate(T resource, ConditionalUrl condition) {
    BlindIndex.Hasher hasher = index.hasher();
    Set<String> tokens = tokensOf(resource, hasher);
    return conditional.run(typeName, condition, hasher, (tx, matches) -> {
      if (matches.size() > 1) {
        throw new PreconditionFailedException("If-None-Exist matches more than one "
            + typeName + "; nothing was created");
      }
      if (matches.size() == 1) {
        VersionKey m = matches.get(0);
        T existing = parse.apply(store.readIn(tx, typeName, m.id(), m.version())
            .orElseThrow(() -> new ResourceNotFoundException(m.id())));
        MethodOutcome outcome = new MethodOutcome(existing.getIdElement(), false);
        outcome.setResource(existing);
        outcome.setResponseStatusCode(200);
        outcome.setOperationOutcome(informational("If-None-Exist matched "
            + existing.getIdElement().toUnqualifiedVersionless().getValue()
            + "; nothing was created"));
        return outcome;
      }
      return writeIn(tx, UUID.randomUUID().toString(), 0, resource, true, tokens);
    });
  }

  /**
   * {@code PUT [type]?criteria}.
   *
   * @param bodyId the id in the body as sent, or null
   */
  MethodOutcome conditionalUpdate(T resource, ConditionalUrl condition, String bodyId) {
    BlindIndex.Hasher hasher = index.hasher();
    Set<String> tokens = tokensOf(resource, hasher);
    return conditional.run(typeName, condition, hasher, (tx, matches) -> {
      if (matches.size() > 1) {
        throw new PreconditionFailedException("the criteria match more than one " + typeName
            + "; nothing was updated");
      }
      if (matches.size() == 1) {
        VersionKey m = matches.get(0);
        if (bodyId != null && !bodyId.equals(m.id())) {
          throw new InvalidRequestException("the criteria match " + typeName + "/" + m.id()
              + " but the resource's id is " + bodyId);
        }
        return writeIn(tx, m.id(), m.version(), resource, false, tokens);
      }
      if (bodyId == null) {
        return writeIn(tx, UUID.randomUUID().toString(), 0, resource, true, tokens);
      }
      if (!ResourceStore.ID.matcher(bodyId).matches()) {
        throw new InvalidRequestException("resource ids are 1-64 characters of [A-Za-z0-9-.]");
      }
      Optional<VersionKey> current = IndexQueries.current(tx, typeName, bodyId);
      if (current.isPresent() && !current.get().deleted()) {
        throw new PreconditionFailedException(typeName + "/" + bodyId
            + " exists but does not match the criteria; nothing was updated");
      }
      return writeIn(tx, bodyId, current.map(VersionKey::version).orElse(0L), resource, true,
          tokens);
    });
  }

  private MethodOutcome writeIn(Connection tx, String id, long currentVersion, T resource,
      boolean created, Set<String> tokens) throws SQLException {
    Instant now = prepare(id, currentVersion + 1, resource);
    store.writeIn(tx, typeName, id, currentVersion, now, json(resource), tokens);
    return outcome(resource, created);
  }

  private Instant prepare(String id, long version, T resource) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    resource.setId(new IdType(typeName, id, Long.toString(version)));
    resource.getMeta().setVersionId(Long.toString(version)).setLastUpdated(Date.from(now));
    return now;
  }

  private byte[] json(T resource) {
    return fhir.newJsonParser().encodeResourceToString(resource).getBytes(StandardCharsets.UTF_8);
  }

  private static MethodOutcome outcome(Resource resource, boolean created) {
    MethodOutcome outcome = new MethodOutcome(resource.getIdElement(), created);
    outcome.setResource(resource);
    outcome.setOperationOutcome(informational((created ? "Created " : "Updated ")
        + resource.getIdElement().getValue()));
    return outcome;
  }

  /** The blind-index tokens of the resource's identifiers (no key use when it has none). */
  private Set<String> tokensOf(T resource, BlindIndex.Hasher hasher) {
    List<Identifier> ids =
        fhir.newTerser().getValues(resource, typeName + ".identifier", Identifier.class);
    if (ids.isEmpty()) {
      return Set.of();
    }
    return (hasher != null ? hasher : index.hasher()).tokensOf(ids);
  }

  static OperationOutcome informational(String text) {
    OperationOutcome oo = new OperationOutcome();
    oo.addIssue().setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
        .setCode(OperationOutcome.IssueType.INFORMATIONAL).setDiagnostics(text);
    return oo;
  }
}
