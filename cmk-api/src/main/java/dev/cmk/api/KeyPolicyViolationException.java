package dev.cmk.api;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A key does not satisfy the configured key policy. Lists <em>every</em> broken rule with the value
 * found, the way a portal validation page does, e.g. {@code key size 1024 not in [2048, 3072];
 * vault purge protection disabled}. Thrown before anything is written.
 */
public final class KeyPolicyViolationException extends CmkException {
  private static final long serialVersionUID = 1L;

  /**
   * One broken rule.
   *
   * @param rule stable rule name, e.g. {@code key-size}
   * @param message human-readable description including the value found
   */
  public record Violation(String rule, String message) {
    /**
     * Validates both fields are non-blank.
     *
     * @param rule stable rule name, e.g. {@code key-size}
     * @param message human-readable description including the value found
     * @throws IllegalArgumentException if either is blank
     */
    public Violation {
      Objects.requireNonNull(rule, "rule");
      Objects.requireNonNull(message, "message");
      if (rule.isBlank() || message.isBlank()) {
        throw new IllegalArgumentException("rule and message must not be blank");
      }
    }
  }

  private final transient List<Violation> violations;
  private final transient KeyReference keyReference;

  /**
   * Creates the exception.
   *
   * @param keyReference the key that was checked
   * @param violations every broken rule, at least one
   */
  public KeyPolicyViolationException(KeyReference keyReference, List<Violation> violations) {
    super(format(keyReference, violations));
    this.violations = List.copyOf(violations);
    this.keyReference = Objects.requireNonNull(keyReference, "keyReference");
  }

  private static String format(KeyReference ref, List<Violation> violations) {
    Objects.requireNonNull(violations, "violations");
    if (violations.isEmpty()) {
      throw new IllegalArgumentException("at least one violation is required");
    }
    return "key "
        + ref
        + " violates the key policy: "
        + violations.stream().map(Violation::message).collect(Collectors.joining("; "));
  }

  /** {@return every broken rule} */
  public List<Violation> violations() {
    return violations;
  }

  /** {@return the key that was checked} */
  public KeyReference keyReference() {
    return keyReference;
  }
}
