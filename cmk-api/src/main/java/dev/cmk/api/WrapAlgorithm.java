package dev.cmk.api;

import java.util.Optional;

/**
 * How a data key is wrapped under the key-encryption key. The {@link #id()} is written into every
 * envelope and never changes meaning.
 */
public enum WrapAlgorithm {
  /** RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label (Key Vault's {@code RSA-OAEP-256}). */
  RSA_OAEP_256(1, "RSA-OAEP-256"),
  /**
   * RSAES-OAEP with SHA-1 and MGF1-SHA-1 (Key Vault's {@code RSA-OAEP}). Still considered secure
   * for key wrapping; offered for HSMs that support nothing better.
   */
  RSA_OAEP_SHA1(2, "RSA-OAEP");

  private final int id;
  private final String jwaName;

  WrapAlgorithm(int id, String jwaName) {
    this.id = id;
    this.jwaName = jwaName;
  }

  /** {@return the stable byte written into envelopes} */
  public int id() {
    return id;
  }

  /** {@return the JWA / Key Vault algorithm name} */
  public String jwaName() {
    return jwaName;
  }

  /**
   * Looks an algorithm up by its envelope id.
   *
   * @param id the id byte
   * @return the algorithm, or empty for an id this build does not know
   */
  public static Optional<WrapAlgorithm> fromId(int id) {
    for (WrapAlgorithm a : values()) {
      if (a.id == id) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }
}
