package dev.cmk.testkit;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A failure to inject into a key provider call: the exception a real provider would throw when the
 * customer disables or deletes a key, revokes the identity's access, or the service is throttled or
 * down. Used with {@link FaultControls#setFault} (every call fails until cleared) and {@link
 * FaultControls#failNext} (the next calls fail).
 *
 * <p>Every exception a fault creates is fresh (never shared between calls), names the key
 * reference of the failing call, and says in its message that it was injected.
 *
 * <p><b>Thread safety:</b> immutable; safe to share.
 */
public final class Fault {
  private enum Kind {
    DENIED,
    NOT_FOUND,
    UNAVAILABLE,
    INVALID_CIPHERTEXT,
    CUSTOM
  }

  private final Kind kind;
  private final KeyAccessDeniedException.@Nullable Reason reason;
  private final @Nullable Duration retryAfter;
  private final @Nullable Supplier<? extends RuntimeException> supplier;
  private final @Nullable KeyReference scope; // null = every key

  private Fault(
      Kind kind,
      KeyAccessDeniedException.@Nullable Reason reason,
      @Nullable Duration retryAfter,
      @Nullable Supplier<? extends RuntimeException> supplier) {
    this(kind, reason, retryAfter, supplier, null);
  }

  private Fault(
      Kind kind,
      KeyAccessDeniedException.@Nullable Reason reason,
      @Nullable Duration retryAfter,
      @Nullable Supplier<? extends RuntimeException> supplier,
      @Nullable KeyReference scope) {
    this.kind = kind;
    this.reason = reason;
    this.retryAfter = retryAfter;
    this.supplier = supplier;
    this.scope = scope;
  }

  /**
   * This fault limited to calls about {@code key}: every version of it when {@code key} is
   * versionless, that one version when it is versioned. Calls about other keys are not affected
   * (a scripted fault is not consumed by them). For example a role assignment removed from one
   * key: {@code Fault.denied(IDENTITY_NOT_AUTHORIZED).onlyFor(key)}.
   *
   * @param key the key or version the fault concerns
   * @return the scoped fault
   * @throws NullPointerException if {@code key} is null
   */
  public Fault onlyFor(KeyReference key) {
    return new Fault(kind, reason, retryAfter, supplier, Objects.requireNonNull(key, "key"));
  }

  /**
   * Whether this fault concerns a call about {@code reference}.
   *
   * @param reference the key the call is about, or {@code null} when unknown
   * @return true for an unscoped fault; for a scoped one, whether the call is about its key
   */
  public boolean appliesTo(@Nullable KeyReference reference) {
    if (scope == null) {
      return true;
    }
    if (reference == null) {
      return false;
    }
    return scope.isVersioned() ? scope.equals(reference) : scope.sameKeyAs(reference);
  }

  /**
   * Access denied for an unspecified reason ({@link KeyAccessDeniedException.Reason#UNSPECIFIED}).
   *
   * @return the fault
   */
  public static Fault denied() {
    return denied(KeyAccessDeniedException.Reason.UNSPECIFIED);
  }

  /**
   * Access denied for {@code reason}, e.g. {@link
   * KeyAccessDeniedException.Reason#IDENTITY_NOT_AUTHORIZED} for a revoked role assignment.
   *
   * @param reason the reason the exception carries
   * @return the fault
   * @throws NullPointerException if {@code reason} is null
   */
  public static Fault denied(KeyAccessDeniedException.Reason reason) {
    return new Fault(Kind.DENIED, Objects.requireNonNull(reason, "reason"), null, null);
  }

  /**
   * The key or version is not found ({@link KeyNotFoundException}), as after a deletion.
   *
   * @return the fault
   */
  public static Fault notFound() {
    return new Fault(Kind.NOT_FOUND, null, null, null);
  }

  /**
   * A transient failure ({@link KeyProviderUnavailableException}) without a retry hint, as on a
   * timeout or HTTP 503.
   *
   * @return the fault
   */
  public static Fault transientFailure() {
    return new Fault(Kind.UNAVAILABLE, null, null, null);
  }

  /**
   * A transient failure ({@link KeyProviderUnavailableException}) carrying {@code retryAfter}, as
   * on HTTP 429 with a {@code Retry-After} header.
   *
   * @param retryAfter the back-off hint, not negative
   * @return the fault
   * @throws NullPointerException if {@code retryAfter} is null
   * @throws IllegalArgumentException if {@code retryAfter} is negative
   */
  public static Fault transientFailure(Duration retryAfter) {
    Objects.requireNonNull(retryAfter, "retryAfter");
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative");
    }
    return new Fault(Kind.UNAVAILABLE, null, retryAfter, null);
  }

  /**
   * The wrapped bytes do not unwrap ({@link InvalidCiphertextException}), as for a corrupted
   * envelope.
   *
   * @return the fault
   */
  public static Fault invalidCiphertext() {
    return new Fault(Kind.INVALID_CIPHERTEXT, null, null, null);
  }

  /**
   * Throws whatever {@code exception} supplies, for failures the other factories do not cover
   * (for example an unexpected {@code RuntimeException} from a buggy provider). The supplier is
   * called once per failing call.
   *
   * @param exception supplies the exception to throw; must not return null
   * @return the fault
   * @throws NullPointerException if {@code exception} is null
   */
  public static Fault throwing(Supplier<? extends RuntimeException> exception) {
    return new Fault(Kind.CUSTOM, null, null, Objects.requireNonNull(exception, "exception"));
  }

  /**
   * Creates the exception this fault throws for one call.
   *
   * @param operation the failing call
   * @param reference the key the call was about, or {@code null} when unknown
   * @return a new exception
   * @throws NullPointerException if {@code operation} is null
   * @throws IllegalStateException if the supplier of a {@link #throwing} fault returns null
   */
  public RuntimeException exceptionFor(Operation operation, @Nullable KeyReference reference) {
    Objects.requireNonNull(operation, "operation");
    String call = operation.name().toLowerCase(Locale.ROOT);
    switch (kind) {
      case DENIED:
        return new KeyAccessDeniedException(
            "injected fault: " + call + " denied", reason, reference);
      case NOT_FOUND:
        return new KeyNotFoundException("injected fault: key not found on " + call, reference);
      case UNAVAILABLE:
        return new KeyProviderUnavailableException(
            "injected fault: key provider unavailable on " + call, reference, retryAfter, null);
      case INVALID_CIPHERTEXT:
        return new InvalidCiphertextException();
      case CUSTOM:
        RuntimeException e = supplier.get();
        if (e == null) {
          throw new IllegalStateException("the fault's exception supplier returned null");
        }
        return e;
      default:
        throw new AssertionError(kind);
    }
  }

  @Override
  public String toString() {
    return scope == null ? describeKind() : describeKind() + " for " + scope;
  }

  private String describeKind() {
    switch (kind) {
      case DENIED:
        return "Fault[denied, " + reason + "]";
      case UNAVAILABLE:
        return retryAfter == null
            ? "Fault[transient]"
            : "Fault[transient, retryAfter=" + retryAfter + "]";
      default:
        return "Fault[" + kind.name().toLowerCase(Locale.ROOT).replace('_', ' ') + "]";
    }
  }
}
