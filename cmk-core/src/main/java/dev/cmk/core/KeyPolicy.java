package dev.cmk.core;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.api.KeyPolicyViolationException.Violation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.TokenProtection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Requirements a key-encryption key must meet before cmk wraps data under it, checked against the
 * provider's {@link KeyDescription} when a key is configured, on every new key version picked up
 * by rotation, and on {@code refresh()}.
 *
 * <p>Presets reproduce the published requirements of Azure Health Data Services:
 *
 * <ul>
 *   <li>{@link #dicomService()}: RSA or RSA-HSM, 2048 or 3072 bits, versioned, vault with soft
 *       delete and purge protection, key enabled and inside its not-before/expiry window, wrapKey
 *       and unwrapKey permitted.
 *   <li>{@link #fhirService()}: the same, but key type RSA only, and the vault name plus key name at
 *       most 94 characters.
 * </ul>
 *
 * <p>{@link #check} lists <em>every</em> broken rule with the value found; {@link #enforce} throws
 * them all at once as a {@link KeyPolicyViolationException}, e.g. {@code key size 1024 not in
 * [2048, 3072]; vault purge protection disabled}.
 *
 * <p>Immutable and thread-safe.
 */
public final class KeyPolicy {
  /** Rule names, stable for logs and dashboards. */
  public static final String RULE_KEY_TYPE = "key-type";
  /** Rule: key size. */
  public static final String RULE_KEY_SIZE = "key-size";
  /** Rule: key has versions. */
  public static final String RULE_VERSIONED = "key-versioned";
  /** Rule: vault soft delete. */
  public static final String RULE_SOFT_DELETE = "vault-soft-delete";
  /** Rule: vault purge protection. */
  public static final String RULE_PURGE_PROTECTION = "vault-purge-protection";
  /** Rule: retention days. */
  public static final String RULE_RETENTION = "vault-retention-days";
  /** Rule: key enabled. */
  public static final String RULE_ENABLED = "key-enabled";
  /** Rule: not-before / expiry window. */
  public static final String RULE_VALIDITY = "key-validity-window";
  /** Rule: permitted operations. */
  public static final String RULE_OPERATIONS = "key-operations";
  /** Rule: vault name plus key name length. */
  public static final String RULE_NAME_LENGTH = "vault-and-key-name-length";
  /** Rule (PKCS#11 keys, in place of the vault rules): the key is a token object (CKA_TOKEN). */
  public static final String RULE_TOKEN_PERSISTENT = "token-key-persistent";
  /** Rule (PKCS#11 keys): the private key is sensitive (CKA_SENSITIVE). */
  public static final String RULE_TOKEN_SENSITIVE = "token-key-sensitive";
  /** Rule (PKCS#11 keys): the private key cannot be extracted (CKA_EXTRACTABLE false). */
  public static final String RULE_TOKEN_NOT_EXTRACTABLE = "token-key-not-extractable";
  /** Rule (PKCS#11 keys, opt-in): the key cannot be destroyed (CKA_DESTROYABLE false). */
  public static final String RULE_TOKEN_NOT_DESTROYABLE = "token-key-not-destroyable";

  private final Set<KeyType> keyTypes;
  private final Set<Integer> keySizes;
  private final boolean requireVersioned;
  private final boolean requireSoftDelete;
  private final boolean requirePurgeProtection;
  private final boolean requireTokenKeyNotDestroyable;
  private final int minRetentionDays;
  private final boolean requireEnabled;
  private final boolean requireValidityWindow;
  private final Set<KeyOperation> operations;
  private final int maxVaultAndKeyNameLength;
  private final String name;

  private KeyPolicy(Builder b) {
    this.keyTypes = Collections.unmodifiableSet(EnumSet.copyOf(b.keyTypes));
    this.keySizes = Collections.unmodifiableSet(new TreeSet<>(b.keySizes));
    this.requireVersioned = b.requireVersioned;
    this.requireSoftDelete = b.requireSoftDelete;
    this.requirePurgeProtection = b.requirePurgeProtection;
    this.requireTokenKeyNotDestroyable = b.requireTokenKeyNotDestroyable;
    this.minRetentionDays = b.minRetentionDays;
    this.requireEnabled = b.requireEnabled;
    this.requireValidityWindow = b.requireValidityWindow;
    this.operations =
        b.operations.isEmpty()
            ? Set.of()
            : Collections.unmodifiableSet(EnumSet.copyOf(b.operations));
    this.maxVaultAndKeyNameLength = b.maxVaultAndKeyNameLength;
    this.name = b.name;
  }

  /** {@return the requirements of the Azure Health Data Services DICOM service} */
  public static KeyPolicy dicomService() {
    return builder().name("dicom-service").build();
  }

  /**
   * {@return the requirements of the Azure Health Data Services FHIR service}: as {@link
   * #dicomService()} (RSA or RSA-HSM — the FHIR docs name Managed HSM as a home for the key, and
   * an HSM-backed key is the stronger of the two), and vault name plus key name at most 94
   * characters.
   */
  public static KeyPolicy fhirService() {
    return builder()
        .name("fhir-service")
        .maxVaultAndKeyNameLength(94)
        .build();
  }

  /**
   * {@return a builder starting from the DICOM preset} (RSA/RSA-HSM, 2048/3072, versioned, soft
   * delete and purge protection, enabled, validity window, wrap and unwrap); relax or tighten from
   * there.
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@return the names of the rules this policy checks, in the order {@link #check} reports them}
   * For reports that list passing requirements too.
   */
  public List<String> rules() {
    List<String> r = new ArrayList<>();
    r.add(RULE_KEY_TYPE);
    if (!keySizes.isEmpty()) {
      r.add(RULE_KEY_SIZE);
    }
    if (requireVersioned) {
      r.add(RULE_VERSIONED);
    }
    if (requireSoftDelete) {
      r.add(RULE_SOFT_DELETE);
    }
    if (requirePurgeProtection) {
      r.add(RULE_PURGE_PROTECTION);
    }
    if (minRetentionDays > 0) {
      r.add(RULE_RETENTION);
    }
    if (requireEnabled) {
      r.add(RULE_ENABLED);
    }
    if (requireValidityWindow) {
      r.add(RULE_VALIDITY);
    }
    if (!operations.isEmpty()) {
      r.add(RULE_OPERATIONS);
    }
    if (maxVaultAndKeyNameLength > 0) {
      r.add(RULE_NAME_LENGTH);
    }
    return List.copyOf(r);
  }

  /**
   * The names of the rules this policy checks for {@code key}'s kind of key, in the order {@link
   * #check} reports them: for a PKCS#11 key the token rules stand where {@link #rules()} has the
   * vault rules (soft delete, purge protection, retention).
   *
   * @param key a key reference (its kind decides)
   * @return the rule names
   */
  public List<String> rulesFor(KeyReference key) {
    if (Objects.requireNonNull(key, "key").kind() != KeyReference.Kind.PKCS11) {
      return rules();
    }
    List<String> r = new ArrayList<>(rules());
    int at = r.indexOf(RULE_SOFT_DELETE) >= 0 ? r.indexOf(RULE_SOFT_DELETE)
        : r.indexOf(RULE_PURGE_PROTECTION) >= 0 ? r.indexOf(RULE_PURGE_PROTECTION)
        : r.indexOf(RULE_ENABLED) >= 0 ? r.indexOf(RULE_ENABLED) : r.size();
    r.removeAll(List.of(RULE_SOFT_DELETE, RULE_PURGE_PROTECTION, RULE_RETENTION));
    List<String> token = new ArrayList<>();
    if (requireSoftDelete || requirePurgeProtection) {
      token.addAll(List.of(RULE_TOKEN_PERSISTENT, RULE_TOKEN_SENSITIVE,
          RULE_TOKEN_NOT_EXTRACTABLE));
    }
    if (requireTokenKeyNotDestroyable) {
      token.add(RULE_TOKEN_NOT_DESTROYABLE);
    }
    r.addAll(Math.min(at, r.size()), token);
    return List.copyOf(r);
  }

  /** {@return the policy's name (for logs), e.g. {@code fhir-service}} */
  public String name() {
    return name;
  }

  /**
   * Every rule {@code key} breaks at {@code now}, in a stable order; empty when it complies.
   *
   * @param key the provider's description
   * @param now the current time (validity window)
   * @return the violations
   */
  public List<Violation> check(KeyDescription key, Instant now) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(now, "now");
    List<Violation> v = new ArrayList<>();
    if (!keyTypes.contains(key.keyType())) {
      v.add(new Violation(RULE_KEY_TYPE,
          "key type " + key.keyType().jwkName() + " not in " + names(keyTypes)));
    }
    if (key.keyType().isRsa() && !keySizes.isEmpty() && !keySizes.contains(key.sizeBits())) {
      v.add(new Violation(RULE_KEY_SIZE, "key size " + key.sizeBits() + " not in " + keySizes));
    }
    if (requireVersioned && !key.isVersioned()) {
      v.add(new Violation(RULE_VERSIONED, "key has no version (it cannot be rotated)"));
    }
    if (key.reference().kind() == KeyReference.Kind.PKCS11) {
      checkToken(key.tokenProtection(), v);
    } else {
      checkVault(key, v);
    }
    if (requireEnabled && !key.enabled()) {
      v.add(new Violation(RULE_ENABLED, "key is disabled"));
    }
    if (requireValidityWindow) {
      if (key.notBefore() != null && now.isBefore(key.notBefore())) {
        v.add(new Violation(RULE_VALIDITY, "key not valid before " + key.notBefore()));
      }
      if (key.expiresOn() != null && !now.isBefore(key.expiresOn())) {
        v.add(new Violation(RULE_VALIDITY, "key expired at " + key.expiresOn()));
      }
    }
    if (!key.operations().containsAll(operations)) {
      Set<KeyOperation> missing = EnumSet.copyOf(operations);
      missing.removeAll(key.operations());
      v.add(new Violation(RULE_OPERATIONS, "key operations missing " + opNames(missing)));
    }
    if (maxVaultAndKeyNameLength > 0) {
      KeyReference ref = key.reference();
      int length = ref.vaultName().length() + ref.name().length();
      if (length > maxVaultAndKeyNameLength) {
        v.add(new Violation(RULE_NAME_LENGTH, "vault name + key name length " + length
            + " exceeds " + maxVaultAndKeyNameLength));
      }
    }
    return List.copyOf(v);
  }

  /**
   * The "key cannot be lost or exported" intent for keys in a vault: soft delete, purge protection
   * and retention.
   */
  private void checkVault(KeyDescription key, List<Violation> v) {
    if (requireSoftDelete && !key.vaultProtection().softDeleteEnabled()) {
      v.add(new Violation(RULE_SOFT_DELETE, "vault soft delete disabled"
          + recovery(key)));
    }
    if (requirePurgeProtection && !key.vaultProtection().purgeProtectionEnabled()) {
      v.add(new Violation(RULE_PURGE_PROTECTION, "vault purge protection disabled"
          + recovery(key)));
    }
    if (minRetentionDays > 0
        && key.vaultProtection().softDeleteEnabled()
        && key.vaultProtection().retentionDays() < minRetentionDays) {
      v.add(new Violation(RULE_RETENTION, "vault retention "
          + key.vaultProtection().retentionDays() + " days below " + minRetentionDays));
    }
  }

  /**
   * The same intent for a PKCS#11 key, as far as a token can prove it: a token object whose
   * private key is sensitive and not extractable (and, if required, not destroyable). A token has
   * no soft delete or purge protection, so the vault rules do not apply to its keys.
   */
  private void checkToken(TokenProtection t, List<Violation> v) {
    if (requireSoftDelete || requirePurgeProtection) {
      if (!t.attests(TokenProtection.Property.PERSISTENT)) {
        v.add(new Violation(RULE_TOKEN_PERSISTENT, "the key is not a token object (CKA_TOKEN)"));
      }
      if (!t.attests(TokenProtection.Property.SENSITIVE)) {
        v.add(new Violation(RULE_TOKEN_SENSITIVE,
            "the private key is not sensitive (CKA_SENSITIVE)"));
      }
      if (!t.attests(TokenProtection.Property.NOT_EXTRACTABLE)) {
        v.add(new Violation(RULE_TOKEN_NOT_EXTRACTABLE,
            "the private key is extractable (CKA_EXTRACTABLE)"));
      }
    }
    if (requireTokenKeyNotDestroyable && !t.attests(TokenProtection.Property.NOT_DESTROYABLE)) {
      v.add(new Violation(RULE_TOKEN_NOT_DESTROYABLE,
          "the key can be destroyed (CKA_DESTROYABLE)"));
    }
  }

  /**
   * Throws if {@code key} breaks any rule.
   *
   * @param key the provider's description
   * @param now the current time
   * @throws KeyPolicyViolationException listing every broken rule
   */
  public void enforce(KeyDescription key, Instant now) {
    List<Violation> v = check(key, now);
    if (!v.isEmpty()) {
      throw new KeyPolicyViolationException(key.reference(), v);
    }
  }

  private static String recovery(KeyDescription key) {
    String level = key.vaultProtection().recoveryLevel();
    return level == null ? "" : " (recovery level " + level + ")";
  }

  private static String names(Set<KeyType> types) {
    return types.stream().map(KeyType::jwkName).collect(Collectors.joining(", ", "[", "]"));
  }

  private static String opNames(Set<KeyOperation> ops) {
    return ops.stream().map(o -> {
      String n = o.name().toLowerCase(java.util.Locale.ROOT);
      int i = n.indexOf('_');
      return i < 0 ? n : n.substring(0, i) + Character.toUpperCase(n.charAt(i + 1)) + n.substring(i + 2);
    }).collect(Collectors.joining(", ", "[", "]"));
  }

  @Override
  public String toString() {
    return "KeyPolicy[" + name + ": types=" + names(keyTypes) + ", sizes=" + keySizes
        + ", versioned=" + requireVersioned + ", softDelete=" + requireSoftDelete
        + ", purgeProtection=" + requirePurgeProtection + ", enabled=" + requireEnabled
        + ", validityWindow=" + requireValidityWindow + ", operations=" + opNames(operations)
        + (maxVaultAndKeyNameLength > 0 ? ", maxNameLength=" + maxVaultAndKeyNameLength : "")
        + "]";
  }

  /**
   * Builds a {@link KeyPolicy}, starting from the DICOM preset. Weakening a requirement needs a
   * method whose name says so. Each setting may be made once; making it again throws {@link
   * IllegalStateException} naming the setting.
   */
  public static final class Builder {
    private Set<KeyType> keyTypes = EnumSet.of(KeyType.RSA, KeyType.RSA_HSM);
    private Set<Integer> keySizes = Set.of(2048, 3072);
    private boolean requireVersioned = true;
    private boolean requireSoftDelete = true;
    private boolean requirePurgeProtection = true;
    private boolean requireTokenKeyNotDestroyable;
    private int minRetentionDays;
    private boolean requireEnabled = true;
    private boolean requireValidityWindow = true;
    private Set<KeyOperation> operations = EnumSet.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY);
    private int maxVaultAndKeyNameLength;
    private String name = "custom";
    private final Set<String> set = new java.util.HashSet<>();

    private Builder() {}

    private void once(String setting) {
      if (!set.add(setting)) {
        throw new IllegalStateException(setting + " was already set");
      }
    }

    /**
     * Sets the name shown in logs.
     *
     * @param name the policy's name, e.g. {@code fhir-service}
     * @return this builder
     */
    public Builder name(String name) {
      once("name");
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * Sets the allowed key types (only RSA types can wrap cmk data keys).
     *
     * @param types at least one RSA key type
     * @return this builder
     * @throws IllegalArgumentException if none is given, or one is not an RSA type
     */
    public Builder keyTypes(KeyType... types) {
      once("keyTypes");
      Objects.requireNonNull(types, "types");
      if (types.length == 0) {
        throw new IllegalArgumentException("at least one key type is required");
      }
      Set<KeyType> s = EnumSet.noneOf(KeyType.class);
      for (KeyType t : types) {
        if (!Objects.requireNonNull(t, "type").isRsa()) {
          throw new IllegalArgumentException("cmk wraps data keys with RSA; " + t + " cannot");
        }
        s.add(t);
      }
      keyTypes = s;
      return this;
    }

    /**
     * Sets the allowed RSA modulus sizes.
     *
     * @param bits at least one size in bits, each at least 2048
     * @return this builder
     * @throws IllegalArgumentException if none is given, or one is below 2048
     */
    public Builder keySizes(Integer... bits) {
      once("keySizes");
      Objects.requireNonNull(bits, "bits");
      if (bits.length == 0) {
        throw new IllegalArgumentException("at least one key size is required");
      }
      for (Integer b : bits) {
        if (Objects.requireNonNull(b, "bits") < 2048) {
          throw new IllegalArgumentException("RSA keys below 2048 bits are not acceptable: " + b);
        }
      }
      keySizes = Set.of(bits);
      return this;
    }

    /**
     * Sets the minimum soft-delete retention (default: no minimum).
     *
     * @param days the minimum in days, 0 for none
     * @return this builder
     * @throws IllegalArgumentException if {@code days} is negative
     */
    public Builder minRetentionDays(int days) {
      once("minRetentionDays");
      if (days < 0) {
        throw new IllegalArgumentException("days must not be negative");
      }
      minRetentionDays = days;
      return this;
    }

    /**
     * Sets the maximum length of vault name plus key name.
     *
     * @param length the maximum in characters, 0 for no limit
     * @return this builder
     * @throws IllegalArgumentException if {@code length} is negative
     */
    public Builder maxVaultAndKeyNameLength(int length) {
      once("maxVaultAndKeyNameLength");
      if (length < 0) {
        throw new IllegalArgumentException("length must not be negative");
      }
      maxVaultAndKeyNameLength = length;
      return this;
    }

    /**
     * For PKCS#11 keys, also requires that the token reports the key as not destroyable
     * ({@code CKA_DESTROYABLE} false) — the token's analogue of purge protection. Off by default:
     * keys made by cmk, {@code pkcs11-tool} and SoftHSM2 are destroyable.
     *
     * @return this builder
     */
    public Builder requireTokenKeyNotDestroyable() {
      once("requireTokenKeyNotDestroyable");
      requireTokenKeyNotDestroyable = true;
      return this;
    }

    /**
     * Accepts keys in vaults without soft delete or purge protection, e.g. an on-premises HSM
     * token. Data is lost for good if such a key is deleted.
     *
     * @return this builder
     */
    public Builder allowKeysWithoutDeletionProtection() {
      once("allowKeysWithoutDeletionProtection");
      requireSoftDelete = false;
      requirePurgeProtection = false;
      return this;
    }

    /**
     * Accepts keys without versions (which cannot be rotated).
     *
     * @return this builder
     */
    public Builder allowUnversionedKeys() {
      once("allowUnversionedKeys");
      requireVersioned = false;
      return this;
    }

    /** {@return the policy} */
    public KeyPolicy build() {
      return new KeyPolicy(this);
    }
  }
}
