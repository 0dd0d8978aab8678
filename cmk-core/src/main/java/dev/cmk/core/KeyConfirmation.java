package dev.cmk.core;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.api.KeyPolicyViolationException.Violation;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.internal.ProviderCalls;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

/**
 * Confirms the configured key with its provider for the loss-of-access guard: describes it,
 * applies the key policy, picks up a new version of a versionless key, and proves access with a
 * trial wrap and unwrap. Stateless apart from its collaborators; thread-safe.
 */
final class KeyConfirmation {
  private static final Logger LOG = LoggerFactory.getLogger(KeyAccessGuard.class);

  private final KeyPolicy policy;
  private final ProviderCalls calls;
  private final SecureRandom random;

  KeyConfirmation(KeyPolicy policy, ProviderCalls calls, SecureRandom random) {
    this.policy = policy;
    this.calls = calls;
    this.random = random;
  }

  /**
   * Describes the configured key, applies the policy, picks up rotation, and returns the version
   * for writes.
   *
   * @param current the version written under so far, or null before the first confirmation
   * @throws KeyAccessDeniedException if the version to write under is disabled, not valid now or
   *     lacks an operation (a loss of access), or breaks the policy after writes began
   * @throws KeyPolicyViolationException if it breaks the policy before any write
   */
  KeyReference confirm(KeyConfiguration c, @Nullable KeyReference current, Instant now,
      List<KeyAccessEvent> events) {
    KeyDescription d = calls.call(c.provider().id(), KekOperation.DESCRIBE,
        () -> c.provider().describe(c.key()));
    List<Violation> violations = policy.check(d, now);
    if (violations.isEmpty()) {
      return d.reference();
    }
    boolean sameVersion = current != null && current.equals(d.reference());
    if (c.key().isVersioned() || current == null || sameVersion
        || !current.sameKeyAs(c.key())) {
      throw asLoss(d, violations, current == null); // the version we would write under
    }
    // A new version appeared that breaks the policy: report it, keep writing under the current
    // one as long as that one still passes.
    events.add(new KeyAccessEvent.PolicyViolationFound(now, d.reference(), violations));
    LOG.atWarn().setMessage("cmk.key.policy-violation")
        .addKeyValue("version", d.reference())
        .addKeyValue("violations", join(violations))
        .log();
    KeyDescription cur = calls.call(c.provider().id(), KekOperation.DESCRIBE,
        () -> c.provider().describe(current));
    List<Violation> curViolations = policy.check(cur, now);
    if (!curViolations.isEmpty()) {
      throw asLoss(cur, curViolations, false);
    }
    return current;
  }

  /**
   * A disabled, expired or operation-restricted key is a loss of access; anything else (size,
   * type, vault protection) is a policy violation — thrown as such before the first write, as a
   * denial once writes began (the guard must trip rather than fail the caller's refresh).
   */
  private static RuntimeException asLoss(KeyDescription d, List<Violation> v, boolean initial) {
    boolean usabilityOnly = v.stream().allMatch(x ->
        x.rule().equals(KeyPolicy.RULE_ENABLED) || x.rule().equals(KeyPolicy.RULE_VALIDITY)
            || x.rule().equals(KeyPolicy.RULE_OPERATIONS));
    if (!usabilityOnly) {
      KeyPolicyViolationException e = new KeyPolicyViolationException(d.reference(), v);
      if (initial) {
        return e;
      }
      return new KeyAccessDeniedException(e.getMessage(),
          KeyAccessDeniedException.Reason.UNSPECIFIED, d.reference(), e);
    }
    KeyAccessDeniedException.Reason reason = !d.enabled()
        ? KeyAccessDeniedException.Reason.KEY_DISABLED
        : v.stream().anyMatch(x -> x.rule().equals(KeyPolicy.RULE_VALIDITY))
            ? KeyAccessDeniedException.Reason.KEY_NOT_VALID_NOW
            : KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED;
    return new KeyAccessDeniedException(join(v), reason, d.reference());
  }

  /**
   * A wrapped random key the guard unwraps at every probe, so that a probe proves the identity may
   * still unwrap under the write version (a describe alone does not: a role with "get" but not
   * "unwrap" passes it). Holds only the wrapped bytes and a SHA-256 of the plaintext.
   *
   * @param wrapped the canary, wrapped under {@code wrapped.keyReference()}
   * @param digest SHA-256 of the canary's plaintext
   */
  record Canary(WrappedKey wrapped, byte[] digest) {
    KeyReference version() {
      return wrapped.keyReference();
    }
  }

  /**
   * Wraps and unwraps a random key under {@code version}; throws if it does not come back.
   *
   * @return the canary for later probes
   */
  Canary trialRoundTrip(KeyEncryptionKeyProvider provider, KeyReference version) {
    byte[] probe = new byte[32];
    random.nextBytes(probe);
    SecretBytes key = SecretBytes.wrapOwned(probe.clone());
    try {
      WrappedKey w = calls.call(provider.id(), KekOperation.WRAP,
          () -> provider.wrap(version, key));
      Canary canary = new Canary(w, sha256(probe));
      check(provider, canary);
      return canary;
    } finally {
      Arrays.fill(probe, (byte) 0);
      key.destroy();
    }
  }

  /** Unwraps {@code canary} and compares it; throws the provider's failure if it is refused. */
  void check(KeyEncryptionKeyProvider provider, Canary canary) {
    SecretBytes back = null;
    try {
      back = calls.call(provider.id(), KekOperation.UNWRAP,
          () -> provider.unwrap(canary.wrapped()));
      byte[] got = back.copy();
      try {
        if (!MessageDigest.isEqual(canary.digest(), sha256(got))) {
          throw new KeyProviderUnavailableException(
              "trial unwrap returned a different key", canary.version(), null);
        }
      } finally {
        Arrays.fill(got, (byte) 0);
      }
    } catch (InvalidCiphertextException e) {
      throw new KeyProviderUnavailableException("trial unwrap failed", canary.version(), e);
    } finally {
      if (back != null) {
        back.destroy();
      }
    }
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  static String join(List<Violation> v) {
    StringBuilder sb = new StringBuilder();
    for (Violation x : v) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(x.message());
    }
    return sb.toString();
  }
}
