package dev.cmk.core;

import dev.cmk.api.KeyPolicyViolationException.Violation;
import dev.cmk.api.KeyReference;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Something operators should know about the customer-managed key. Delivered to {@link
 * KeyAccessListener}s and logged through SLF4J (logger {@code dev.cmk.core.KeyAccessGuard}) with
 * the stable {@link #eventName()}.
 */
public sealed interface KeyAccessEvent {

  /** {@return stable event name used in logs, e.g. {@code cmk.key.state-changed}} */
  String eventName();

  /** {@return when it happened (by the configured clock)} */
  Instant at();

  /**
   * The guard changed state.
   *
   * @param at when
   * @param from previous status
   * @param to new status
   */
  record StateChanged(Instant at, KeyAccessStatus from, KeyAccessStatus to)
      implements KeyAccessEvent {
    /**
     * Validates.
     *
     * @param at when it happened
     * @param from the previous status
     * @param to the new status
     */
    public StateChanged {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
    }

    @Override
    public String eventName() {
      return "cmk.key.state-changed";
    }
  }

  /**
   * A new key version passed the policy and is now used for writes.
   *
   * @param at when
   * @param from previous version, or {@code null} at start-up
   * @param to new version
   */
  record RotationPickedUp(Instant at, @Nullable KeyReference from, KeyReference to)
      implements KeyAccessEvent {
    /**
     * Validates.
     *
     * @param at when it happened
     * @param from the previous status
     * @param to the new status
     */
    public RotationPickedUp {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(to, "to");
    }

    @Override
    public String eventName() {
      return "cmk.key.rotation-picked-up";
    }
  }

  /**
   * A key version does not meet the policy; it is not used for writes.
   *
   * @param at when
   * @param version the offending version
   * @param violations every broken rule
   */
  record PolicyViolationFound(Instant at, KeyReference version, List<Violation> violations)
      implements KeyAccessEvent {
    /**
     * Validates and copies.
     *
     * @param at when it happened
     * @param version the key version
     * @param violations the broken rules
     */
    public PolicyViolationFound {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(version, "version");
      violations = List.copyOf(violations);
    }

    @Override
    public String eventName() {
      return "cmk.key.policy-violation";
    }
  }

  /**
   * A key version that recently decrypted data is now disabled, deleted or otherwise unusable:
   * envelopes that reference it will not decrypt.
   *
   * @param at when it was noticed
   * @param version see {@link #version()}
   * @param cause classified cause
   * @param lastSeen when an envelope under it was last decrypted
   */
  record VersionUnavailable(Instant at, KeyReference version, LossCause cause, Instant lastSeen)
      implements KeyAccessEvent {
    /**
     * Validates.
     *
     * @param at when it happened
     * @param cause the classified cause
     * @param lastSeen when an envelope under it was last seen
     * @param version the key version
     */
    public VersionUnavailable {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(cause, "cause");
    }

    @Override
    public String eventName() {
      return "cmk.key.version-unavailable";
    }
  }

  /**
   * Every cached plaintext data key was destroyed because access was authoritatively revoked.
   *
   * @param at when
   * @param cause why
   */
  record DataKeysPurged(Instant at, LossCause cause) implements KeyAccessEvent {
    /**
     * Validates.
     *
     * @param at when it happened
     * @param cause the classified cause
     */
    public DataKeysPurged {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(cause, "cause");
    }

    @Override
    public String eventName() {
      return "cmk.key.data-keys-purged";
    }
  }

  /**
   * An explicit refresh succeeded: on this instance ({@link KeyAccessGuard#refresh()}), or, with
   * a fleet store, this instance followed a refresh another replica made ({@code followed}).
   *
   * @param at when
   * @param key the configured key after the refresh
   * @param version the version writes use after it
   * @param followed whether it followed another replica's refresh
   */
  record Refreshed(Instant at, KeyReference key, KeyReference version, boolean followed)
      implements KeyAccessEvent {
    /**
     * Validates.
     *
     * @param at when it happened
     * @param key the configured key
     * @param version the write version
     * @param followed whether it followed another replica's refresh
     */
    public Refreshed {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(version, "version");
    }

    @Override
    public String eventName() {
      return "cmk.key.refreshed";
    }
  }
}
