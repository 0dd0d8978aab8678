package dev.cmk.api;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * What a PKCS#11 token attests about the private key of one key version: the attributes that say
 * whether the key can be lost with a session, read, exported, changed or destroyed. A token has no
 * soft delete or purge protection ({@link VaultProtection#none()}); these attributes are what it
 * can prove instead, and what key policies check for {@code pkcs11:} keys.
 *
 * <p>Each {@link Property} is either attested (the token reports the attribute with the value the
 * property names), not attested (the token reports the other value), or {@linkplain #unreported()
 * unreported} (the token does not know the attribute, e.g. {@code CKA_DESTROYABLE} before PKCS#11
 * 2.40). Providers that are not PKCS#11 tokens report {@link #none()}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param attested the properties the token reports as holding
 * @param unreported the properties whose attribute the token does not report; disjoint from
 *     {@code attested}
 */
public record TokenProtection(Set<Property> attested, Set<Property> unreported) {

  /** One attribute value of a private key, as PKCS#11 names it. */
  public enum Property {
    /** {@code CKA_TOKEN} true: a token object, kept when sessions close, not a session object. */
    PERSISTENT("CKA_TOKEN", true),
    /** {@code CKA_SENSITIVE} true: the token never reveals the private key's value. */
    SENSITIVE("CKA_SENSITIVE", true),
    /** {@code CKA_ALWAYS_SENSITIVE} true: it never did (the key was not imported in plaintext). */
    ALWAYS_SENSITIVE("CKA_ALWAYS_SENSITIVE", true),
    /** {@code CKA_EXTRACTABLE} false: the token refuses to wrap the key out ({@code C_WrapKey}). */
    NOT_EXTRACTABLE("CKA_EXTRACTABLE", false),
    /** {@code CKA_NEVER_EXTRACTABLE} true: the key never was extractable. */
    NEVER_EXTRACTABLE("CKA_NEVER_EXTRACTABLE", true),
    /** {@code CKA_MODIFIABLE} false: no attribute can be changed (nor the key disabled). */
    NOT_MODIFIABLE("CKA_MODIFIABLE", false),
    /** {@code CKA_DESTROYABLE} false: the token refuses {@code C_DestroyObject}. */
    NOT_DESTROYABLE("CKA_DESTROYABLE", false);

    private final String attribute;
    private final boolean value;

    Property(String attribute, boolean value) {
      this.attribute = attribute;
      this.value = value;
    }

    /** {@return the PKCS#11 attribute, e.g. {@code CKA_EXTRACTABLE}} */
    public String attribute() {
      return attribute;
    }

    /**
     * {@return the attribute value that makes the property hold, e.g. {@code false} for {@link
     * #NOT_EXTRACTABLE}}
     */
    public boolean value() {
      return value;
    }

    /** The attribute and value, e.g. {@code CKA_EXTRACTABLE=false}, for messages. */
    @Override
    public String toString() {
      return attribute + "=" + value;
    }
  }

  /**
   * Validates and copies.
   *
   * @param attested see {@link #attested()}
   * @param unreported see {@link #unreported()}
   */
  public TokenProtection {
    Objects.requireNonNull(attested, "attested");
    Objects.requireNonNull(unreported, "unreported");
    attested = immutable(attested);
    unreported = immutable(unreported);
    for (Property p : attested) {
      if (unreported.contains(p)) {
        throw new IllegalArgumentException(p.attribute() + " cannot be attested and unreported");
      }
    }
  }

  private static Set<Property> immutable(Set<Property> s) {
    return s.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(s));
  }

  /** {@return nothing attested: what providers that are not PKCS#11 tokens report} */
  public static TokenProtection none() {
    return new TokenProtection(Set.of(), Set.of());
  }

  /**
   * Whether the token reports {@code property} as holding.
   *
   * @param property the property
   * @return true if attested
   */
  public boolean attests(Property property) {
    return attested.contains(Objects.requireNonNull(property, "property"));
  }

  /**
   * Whether {@code property} holds where the token reports it: attested, or its attribute
   * unreported.
   *
   * @param property the property
   * @return true unless the token reports the attribute with the other value
   */
  public boolean holdsWhereReported(Property property) {
    return attests(property) || unreported.contains(property);
  }
}
