package dev.cmk.cli;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyPolicyViolationException.Violation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.VaultProtection;
import dev.cmk.core.KeyPolicy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Every requirement of a key policy, met or not, with the value found: the {@code check-key}
 * report. Which requirements a policy has comes from {@link KeyPolicy#rules()}; the verdicts for
 * the real key are exactly {@link KeyPolicy#check}'s.
 */
final class PolicyReport {
  /** Rule order of the report. */
  private static final List<String> ORDER =
      List.of(
          KeyPolicy.RULE_KEY_TYPE,
          KeyPolicy.RULE_KEY_SIZE,
          KeyPolicy.RULE_VERSIONED,
          KeyPolicy.RULE_ENABLED,
          KeyPolicy.RULE_VALIDITY,
          KeyPolicy.RULE_OPERATIONS,
          KeyPolicy.RULE_SOFT_DELETE,
          KeyPolicy.RULE_PURGE_PROTECTION,
          KeyPolicy.RULE_RETENTION,
          KeyPolicy.RULE_TOKEN_PERSISTENT,
          KeyPolicy.RULE_TOKEN_SENSITIVE,
          KeyPolicy.RULE_TOKEN_NOT_EXTRACTABLE,
          KeyPolicy.RULE_TOKEN_NOT_DESTROYABLE,
          KeyPolicy.RULE_NAME_LENGTH);

  /**
   * One requirement.
   *
   * @param rule the rule name, e.g. {@code key-size}
   * @param met whether the key meets it
   * @param found the value found (for a broken rule, the policy's own message)
   */
  record Line(String rule, boolean met, String found) {}

  private PolicyReport() {}

  /** Every requirement of {@code policy} for {@code key} at {@code now}, in a stable order. */
  static List<Line> lines(KeyPolicy policy, KeyDescription key, Instant now) {
    Map<String, List<String>> broken = new LinkedHashMap<>();
    for (Violation v : policy.check(key, now)) {
      broken.computeIfAbsent(v.rule(), r -> new ArrayList<>()).add(v.message());
    }
    Set<String> rules = new LinkedHashSet<>();
    for (String r : ORDER) {
      if (policy.rulesFor(key.reference()).contains(r) || broken.containsKey(r)) {
        rules.add(r);
      }
    }
    rules.addAll(broken.keySet()); // rules this build does not know yet, after the known ones
    List<Line> lines = new ArrayList<>();
    for (String rule : rules) {
      List<String> messages = broken.get(rule);
      lines.add(
          messages == null
              ? new Line(rule, true, found(rule, key))
              : new Line(rule, false, String.join("; ", messages)));
    }
    return List.copyOf(lines);
  }

  /** The rules {@code policy} checks. */
  static Set<String> rulesOf(KeyPolicy policy, Instant now) {
    return new LinkedHashSet<>(policy.rules());
  }

  private static String found(String rule, KeyDescription key) {
    VaultProtection vp = key.vaultProtection();
    switch (rule) {
      case KeyPolicy.RULE_KEY_TYPE:
        return key.keyType().jwkName();
      case KeyPolicy.RULE_KEY_SIZE:
        return key.sizeBits() + " bits";
      case KeyPolicy.RULE_VERSIONED:
        return "version " + key.reference().version().orElse("(none)");
      case KeyPolicy.RULE_ENABLED:
        return "enabled";
      case KeyPolicy.RULE_VALIDITY:
        return "not before " + orElse(key.notBefore(), "(none)")
            + ", expires " + orElse(key.expiresOn(), "never");
      case KeyPolicy.RULE_OPERATIONS:
        return operations(key.operations());
      case KeyPolicy.RULE_SOFT_DELETE:
        return "soft delete on, " + vp.retentionDays() + " days retention"
            + (vp.recoveryLevel() == null ? "" : " (" + vp.recoveryLevel() + ")");
      case KeyPolicy.RULE_PURGE_PROTECTION:
        return "purge protection on";
      case KeyPolicy.RULE_RETENTION:
        return vp.retentionDays() + " days";
      case KeyPolicy.RULE_TOKEN_PERSISTENT:
        return "token object (CKA_TOKEN)";
      case KeyPolicy.RULE_TOKEN_SENSITIVE:
        return "sensitive (CKA_SENSITIVE)";
      case KeyPolicy.RULE_TOKEN_NOT_EXTRACTABLE:
        return "not extractable (CKA_EXTRACTABLE=false)";
      case KeyPolicy.RULE_TOKEN_NOT_DESTROYABLE:
        return "not destroyable (CKA_DESTROYABLE=false)";
      case KeyPolicy.RULE_NAME_LENGTH:
        KeyReference r = key.reference();
        return "vault name + key name = " + (r.vaultName().length() + r.name().length())
            + " characters";
      default:
        return "ok";
    }
  }

  static String operations(Set<KeyOperation> ops) {
    if (ops.isEmpty()) {
      return "(none)";
    }
    return EnumSet.copyOf(ops).stream()
        .map(
            o -> {
              String n = o.name().toLowerCase(Locale.ROOT);
              int i = n.indexOf('_');
              return i < 0
                  ? n
                  : n.substring(0, i) + Character.toUpperCase(n.charAt(i + 1)) + n.substring(i + 2);
            })
        .collect(Collectors.joining(", "));
  }

  private static String orElse(@Nullable Object value, String absent) {
    return value == null ? absent : value.toString();
  }
}
