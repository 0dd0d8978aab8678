package dev.cmk.examples.fhir.internal;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import ca.uhn.fhir.rest.server.exceptions.UnclassifiedServerFailureException;
import dev.cmk.api.CmkException;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.core.KeyAccessGuard;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.core.LossCause;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns cmk failures into the HTTP answers of the Azure FHIR service: HTTP 500 with an {@link
 * OperationOutcome} saying that the customer-managed key is not accessible, why, and what brings
 * the service back. A database that reports a full disk answers HTTP 507 Insufficient Storage.
 * Codes are in {@link #CODE_SYSTEM}: the guard state ({@code UNAVAILABLE}, {@code
 * REFRESH_REQUIRED}) and the cause ({@code KEY_DISABLED}, ...).
 *
 * <p><b>Security guarantees:</b> texts are built from key references, guard states and provider
 * messages, none of which carry key material, passwords or tokens; stored data that fails
 * authentication is reported with one fixed text.
 */
public final class KeyAccessOutcomes {
  /** Code system of the issue details. */
  public static final String CODE_SYSTEM = "urn:cmk:key-access";

  /** The first sentence of every key-access outcome. */
  public static final String NOT_ACCESSIBLE = "The customer-managed key is not accessible";

  private static final Logger LOG = LoggerFactory.getLogger(KeyAccessOutcomes.class);

  private KeyAccessOutcomes() {}

  /**
   * The answer for a request refused because the guard is not available.
   *
   * @param status the guard's status
   * @return an HTTP 500 with the outcome
   */
  public static InternalErrorException refused(KeyAccessStatus status) {
    String text = describe(status);
    LOG.atWarn().setMessage("fhir.request-refused")
        .addKeyValue("state", status.state())
        .addKeyValue("cause", status.cause())
        .log();
    return withOutcome(text, status.state().name(), status.cause().name());
  }

  /**
   * Translates an exception thrown while serving a data request.
   *
   * @param e the failure
   * @param guard the key access guard, whose status explains a key failure
   * @return the exception HAPI should answer with
   */
  public static BaseServerResponseException translate(RuntimeException e, KeyAccessGuard guard) {
    if (e instanceof BaseServerResponseException) {
      return (BaseServerResponseException) e;
    }
    if (e instanceof ResourceStore.VersionConflictException) {
      return new ResourceVersionConflictException(e.getMessage());
    }
    if (e instanceof KeyAccessSuspendedException || e instanceof KeyProviderException) {
      KeyAccessStatus status = guard.status();
      if (status.state() != KeyAccessState.AVAILABLE) {
        return refused(status);
      }
      // The guard is open: an older key version failed, or a write was refused because the
      // key's state could not be confirmed just now.
      LOG.atWarn().setMessage("fhir.key-operation-failed").addKeyValue("error", e.getMessage()).log();
      return withOutcome(
          NOT_ACCESSIBLE + ": " + e.getMessage(),
          "OPERATION_FAILED",
          e instanceof KeyProviderException && !((KeyProviderException) e).isAuthoritative()
              ? LossCause.PROVIDER_UNAVAILABLE.name()
              : "KEY_VERSION_UNAVAILABLE");
    }
    if (e instanceof InvalidCiphertextException) {
      LOG.atError().setMessage("fhir.stored-data-not-authentic")
          .addKeyValue("error", e.getMessage())
          .log();
      return withOutcome(
          "A stored resource version failed authentication: it was altered or does not belong"
              + " to this resource id and version",
          "STORED_DATA_NOT_AUTHENTIC",
          null);
    }
    if (e instanceof UnsupportedFormatException) {
      LOG.atError().setMessage("fhir.stored-data-unsupported")
          .addKeyValue("error", e.getMessage())
          .log();
      return withOutcome(e.getMessage(), "STORED_DATA_UNSUPPORTED", null);
    }
    if (e instanceof KeyPolicyViolationException) {
      return withOutcome(NOT_ACCESSIBLE + ": " + e.getMessage(), "POLICY_VIOLATION", null);
    }
    if (e instanceof CmkException) {
      LOG.atError().setMessage("fhir.cmk-failure").addKeyValue("error", e.getMessage()).log();
      return withOutcome(e.getMessage(), "CMK_FAILURE", null);
    }
    if (e instanceof ResourceStore.StorageException && isDiskFull(e)) {
      LOG.atError().setMessage("fhir.storage-full")
          .addKeyValue("error", e.getMessage())
          .setCause(e.getCause())
          .log();
      return insufficientStorage(
          "The resource store is out of disk space; nothing was written: " + e.getMessage());
    }
    if (e instanceof ResourceStore.StorageException) {
      LOG.atError().setMessage("fhir.storage-failure")
          .addKeyValue("error", e.getMessage())
          .setCause(e.getCause())
          .log();
      return withOutcome("The resource store failed: " + e.getMessage(), "STORAGE_FAILURE", null);
    }
    LOG.atError().setMessage("fhir.unexpected-failure").setCause(e).log();
    return withOutcome("Internal error", "INTERNAL_ERROR", null);
  }

  /**
   * Whether a failure is the database reporting a full disk: SQLState {@code 53100} (PostgreSQL's
   * {@code disk_full}; class 53 is "insufficient resources" in the SQL standard), or the
   * operating system's ENOSPC text ({@code No space left on device}) in any message of the cause
   * chain, which is how the JVM's file I/O under HSQLDB and H2 reports it.
   *
   * @param e the failure
   * @return true if the disk is full
   */
  public static boolean isDiskFull(Throwable e) {
    java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(
        new java.util.IdentityHashMap<>());
    java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>();
    todo.add(e);
    while (!todo.isEmpty()) {
      Throwable t = todo.poll();
      if (t == null || !seen.add(t)) {
        continue;
      }
      if (t instanceof java.sql.SQLException) {
        java.sql.SQLException sql = (java.sql.SQLException) t;
        if (DISK_FULL_SQLSTATE.equals(sql.getSQLState())) {
          return true;
        }
        if (sql.getNextException() != null) {
          todo.add(sql.getNextException());
        }
      }
      if (t.getMessage() != null && t.getMessage().contains(ENOSPC)) {
        return true;
      }
      if (t.getCause() != null) {
        todo.add(t.getCause());
      }
    }
    return false;
  }

  /** PostgreSQL's SQLState for a full disk. */
  static final String DISK_FULL_SQLSTATE = "53100";

  /** The Linux strerror text of ENOSPC, as the JVM puts it in its IOException messages. */
  static final String ENOSPC = "No space left on device";

  private static BaseServerResponseException insufficientStorage(String text) {
    OperationOutcome oo = new OperationOutcome();
    CodeableConcept details = new CodeableConcept().setText(text);
    details.addCoding().setSystem(CODE_SYSTEM).setCode("INSUFFICIENT_STORAGE");
    oo.addIssue()
        .setSeverity(IssueSeverity.ERROR)
        .setCode(IssueType.NOSTORE)
        .setDetails(details)
        .setDiagnostics(text);
    UnclassifiedServerFailureException ex = new UnclassifiedServerFailureException(507, text);
    ex.setOperationOutcome(oo);
    return ex;
  }

  /**
   * The human explanation of a guard status: what is wrong and what brings the service back.
   *
   * @param status the status
   * @return the text
   */
  public static String describe(KeyAccessStatus status) {
    StringBuilder sb = new StringBuilder(NOT_ACCESSIBLE);
    sb.append(": ").append(reason(status.cause()));
    if (status.configuredKey() != null) {
      sb.append(" (key ").append(status.configuredKey());
      if (status.currentVersion() != null) {
        sb.append(", version in use ").append(status.currentVersion().version().orElse("-"));
      }
      sb.append(')');
    }
    if (status.lastError() != null) {
      sb.append("; provider: ").append(status.lastError());
    }
    sb.append(". Since ").append(status.since().truncatedTo(ChronoUnit.SECONDS)).append(". ");
    if (status.cause() == LossCause.FLEET_STATE_UNKNOWN) {
      sb.append("Requests succeed again once the key-state store answers (checked every probe"
          + " interval).");
    } else if (status.state() == KeyAccessState.REFRESH_REQUIRED) {
      sb.append("Access was lost more than 30 minutes ago: restore access to the key, then POST"
          + " /$cmk-refresh to resume.");
    } else {
      sb.append("Requests succeed again by themselves if access is restored within ")
          .append(minutes(status.graceRemaining()))
          .append("; after that, POST /$cmk-refresh is required.");
    }
    return sb.toString();
  }

  private static String minutes(Duration d) {
    long s = d.toSeconds();
    return s >= 60 ? (s / 60) + " min " + (s % 60) + " s" : s + " s";
  }

  /**
   * A plain-words reason for a loss cause.
   *
   * @param cause the cause
   * @return the reason
   */
  public static String reason(LossCause cause) {
    switch (cause) {
      case KEY_DISABLED:
        return "the key is disabled";
      case KEY_NOT_FOUND:
        return "the key or key version was not found (deleted?)";
      case KEY_NOT_VALID:
        return "the key is outside its activation and expiry dates";
      case OPERATION_NOT_PERMITTED:
        return "the key does not permit wrapKey and unwrapKey";
      case IDENTITY_NOT_AUTHORIZED:
        return "the service's identity is not authorized to use the key";
      case ACCESS_DENIED:
        return "access to the key was denied";
      case POLICY_VIOLATION:
        return "the key no longer meets the key policy";
      case PROVIDER_UNAVAILABLE:
        return "the key vault could not be reached";
      case FLEET_STATE_UNKNOWN:
        return "this replica could not read the service's shared key-access state yet, so it"
            + " does not know whether the service requires a refresh";
      default:
        return "unknown";
    }
  }

  private static InternalErrorException withOutcome(String text, String state, String cause) {
    OperationOutcome oo = new OperationOutcome();
    CodeableConcept details = new CodeableConcept().setText(text);
    details.addCoding().setSystem(CODE_SYSTEM).setCode(state);
    if (cause != null) {
      details.addCoding().setSystem(CODE_SYSTEM).setCode(cause);
    }
    oo.addIssue()
        .setSeverity(IssueSeverity.ERROR)
        .setCode(IssueType.EXCEPTION)
        .setDetails(details)
        .setDiagnostics(text);
    InternalErrorException ex = new InternalErrorException(text);
    ex.setOperationOutcome(oo);
    return ex;
  }
}
