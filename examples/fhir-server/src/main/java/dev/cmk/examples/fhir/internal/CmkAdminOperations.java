package dev.cmk.examples.fhir.internal;

import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import dev.cmk.api.CmkException;
import dev.cmk.core.KeyAccessGuard;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.examples.support.DemoClock;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Date;
import java.util.Objects;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.StringType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-level admin operations for the customer-managed key, answered as FHIR {@link Parameters}:
 *
 * <ul>
 *   <li>{@code GET /$cmk-status}: the guard's state ({@code AVAILABLE}, {@code UNAVAILABLE},
 *       {@code REFRESH_REQUIRED}), since when, the cause, the grace time left, the configured key
 *       and the version new writes use. Served whatever the key's state.
 *   <li>{@code POST /$cmk-refresh}: re-reads the key settings, checks the key policy and access,
 *       and reopens the service (the "update the service" step needed after more than 30 minutes
 *       without the key). Answers the new status, or HTTP 500 with an OperationOutcome if the key
 *       is still not accessible.
 * </ul>
 *
 * <p>These operations have no authentication of their own, like the rest of this example: put the
 * server behind the authentication your deployment uses.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
public final class CmkAdminOperations {
  /** Status operation name. */
  public static final String STATUS = "$cmk-status";

  /** Refresh operation name. */
  public static final String REFRESH = "$cmk-refresh";

  private static final Logger LOG = LoggerFactory.getLogger(CmkAdminOperations.class);

  private final KeyAccessGuard guard;
  private final String policyName;
  private final Clock clock;
  private final String fleetStore;

  /**
   * @param guard the key access guard
   * @param policyName the key policy's name, reported in the status
   * @param clock the server's clock
   * @param fleetStore what keeps the fleet's key-access state (no URL, no secrets)
   */
  public CmkAdminOperations(KeyAccessGuard guard, String policyName, Clock clock,
      String fleetStore) {
    this.guard = Objects.requireNonNull(guard, "guard");
    this.policyName = Objects.requireNonNull(policyName, "policyName");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.fleetStore = Objects.requireNonNull(fleetStore, "fleetStore");
  }

  /**
   * {@code GET /$cmk-status}.
   *
   * @return the status
   */
  @Operation(name = STATUS, idempotent = true)
  public Parameters status() {
    return toParameters(guard.status());
  }

  /**
   * {@code POST /$cmk-refresh}.
   *
   * @return the status after the refresh
   * @throws InternalErrorException (HTTP 500) if the key is still not accessible or the settings
   *     are invalid
   */
  @Operation(name = REFRESH)
  public Parameters refresh() {
    try {
      KeyAccessStatus after = guard.refresh();
      LOG.atInfo().setMessage("fhir.cmk-refreshed")
          .addKeyValue("state", after.state())
          .addKeyValue("version", after.currentVersion())
          .log();
      return toParameters(after);
    } catch (CmkException | IllegalArgumentException | IllegalStateException
        | UncheckedIOException e) {
      LOG.atWarn().setMessage("fhir.cmk-refresh-failed").addKeyValue("error", e.getMessage()).log();
      KeyAccessStatus status = guard.status();
      String text = "Refresh failed: " + e.getMessage()
          + (status.state() == KeyAccessState.AVAILABLE ? "" : ". " + KeyAccessOutcomes.describe(status));
      OperationOutcome oo = new OperationOutcome();
      oo.addIssue()
          .setSeverity(OperationOutcome.IssueSeverity.ERROR)
          .setCode(OperationOutcome.IssueType.EXCEPTION)
          .setDiagnostics(text)
          .getDetails()
          .setText(text)
          .addCoding()
          .setSystem(KeyAccessOutcomes.CODE_SYSTEM)
          .setCode("REFRESH_FAILED");
      InternalErrorException ex = new InternalErrorException(text);
      ex.setOperationOutcome(oo);
      throw ex;
    }
  }

  Parameters toParameters(KeyAccessStatus s) {
    Parameters p = new Parameters();
    p.addParameter().setName("state").setValue(new CodeType(s.state().name()));
    p.addParameter().setName("since").setValue(instant(s.since()));
    p.addParameter().setName("cause").setValue(new CodeType(s.cause().name()));
    p.addParameter().setName("refreshRequired")
        .setValue(new BooleanType(s.state() == KeyAccessState.REFRESH_REQUIRED));
    p.addParameter().setName("graceRemaining").setValue(new StringType(s.graceRemaining().toString()));
    p.addParameter().setName("graceRemainingSeconds")
        .setValue(new IntegerType(Math.toIntExact(Math.min(Integer.MAX_VALUE,
            s.graceRemaining().toSeconds()))));
    if (s.configuredKey() != null) {
      p.addParameter().setName("keyEncryptionKeyUrl")
          .setValue(new StringType(s.configuredKey().toString()));
    }
    if (s.currentVersion() != null) {
      p.addParameter().setName("currentKeyVersion")
          .setValue(new StringType(s.currentVersion().toString()));
    }
    if (s.lastConfirmed() != null) {
      p.addParameter().setName("lastConfirmed").setValue(instant(s.lastConfirmed()));
    }
    if (s.lastError() != null) {
      p.addParameter().setName("lastError").setValue(new StringType(s.lastError()));
    }
    if (s.state() != KeyAccessState.AVAILABLE) {
      p.addParameter().setName("message")
          .setValue(new StringType(KeyAccessOutcomes.describe(s)));
    }
    p.addParameter().setName("keyPolicy").setValue(new StringType(policyName));
    guard.fleetView().ifPresent(f -> {
      Parameters.ParametersParameterComponent fleet = p.addParameter().setName("fleet");
      fleet.addPart().setName("store").setValue(new StringType(fleetStore));
      fleet.addPart().setName("generation").setValue(new StringType(Long.toString(f.generation())));
      fleet.addPart().setName("known").setValue(new BooleanType(f.known()));
      fleet.addPart().setName("unrecordedChange").setValue(new BooleanType(f.unrecordedChange()));
      fleet.addPart().setName("storeReads").setValue(new StringType(Long.toString(f.reads())));
      fleet.addPart().setName("storeWrites").setValue(new StringType(Long.toString(f.writes())));
    });
    p.addParameter().setName("serverTime").setValue(instant(clock.instant()));
    return p;
  }

  private static InstantType instant(Instant i) {
    return new InstantType(Date.from(i));
  }

  /**
   * {@code POST /$demo-clock?advance=PT31M}: moves the demo clock forward. Registered only when
   * the server runs with a {@link DemoClock}.
   */
  public static final class DemoClockOperation {
    /** Operation name. */
    public static final String NAME = "$demo-clock";

    private final DemoClock clock;

    /**
     * @param clock the demo clock
     */
    public DemoClockOperation(DemoClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Advances the clock by the ISO-8601 duration given as the {@code advance} parameter, in a
     * Parameters body or in the query string.
     *
     * @param advance the duration from a Parameters body, or {@code null}
     * @param request the request (for the query string)
     * @return the new time and the total offset
     * @throws InvalidRequestException (HTTP 400) if {@code advance} is missing or invalid
     */
    @Operation(name = NAME)
    public Parameters advance(
        @OperationParam(name = "advance", min = 0, max = 1) StringType advance,
        RequestDetails request) {
      String value = advance != null ? advance.getValue() : null;
      String[] query = request.getParameters().get("advance");
      if (value == null && query != null && query.length == 1) {
        value = query[0];
      }
      if (value == null) {
        throw new InvalidRequestException("give advance=<ISO-8601 duration>, e.g. PT31M");
      }
      Instant now;
      try {
        now = clock.advance(Duration.parse(value));
      } catch (DateTimeParseException | IllegalArgumentException e) {
        throw new InvalidRequestException("advance: " + e.getMessage());
      }
      LOG.atInfo().setMessage("fhir.demo-clock-advanced")
          .addKeyValue("by", value)
          .addKeyValue("now", now)
          .log();
      Parameters p = new Parameters();
      p.addParameter().setName("serverTime").setValue(instant(now));
      p.addParameter().setName("offset").setValue(new StringType(clock.offset().toString()));
      return p;
    }
  }
}
