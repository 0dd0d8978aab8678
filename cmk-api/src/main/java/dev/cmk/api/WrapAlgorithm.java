package dev.cmk.api;

import java.security.spec.MGF1ParameterSpec;
import java.util.Optional;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * How a data key is wrapped under the key-encryption key. The {@link #id()} is written into every
 * envelope and never changes meaning.
 *
 * <p>Both algorithms are RSAES-OAEP (RFC 8017) with the same hash for the label and for MGF1 and an
 * empty label; {@link #oaepParameters()} gives the exact JDK parameters, so that no caller relies
 * on the JDK's defaults (whose MGF1 digest for {@code OAEPWithSHA-256AndMGF1Padding} is SHA-1,
 * which Key Vault's RSA-OAEP-256 is not). {@link dev.cmk.api.spi.RsaOaep} wraps and unwraps with
 * them.
 *
 * <p><b>Thread safety:</b> immutable.
 */
public enum WrapAlgorithm {
  /** RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label (Key Vault's {@code RSA-OAEP-256}). */
  RSA_OAEP_256(1, "RSA-OAEP-256", "SHA-256", MGF1ParameterSpec.SHA256, 32),
  /**
   * RSAES-OAEP with SHA-1 and MGF1-SHA-1 (Key Vault's {@code RSA-OAEP}). Still considered secure
   * for key wrapping; offered for HSMs that support nothing better.
   */
  RSA_OAEP_SHA1(2, "RSA-OAEP", "SHA-1", MGF1ParameterSpec.SHA1, 20);

  private final int id;
  private final String jwaName;
  private final OAEPParameterSpec parameters;
  private final int hashLength;

  WrapAlgorithm(int id, String jwaName, String digest, MGF1ParameterSpec mgf1, int hashLength) {
    this.id = id;
    this.jwaName = jwaName;
    this.parameters = new OAEPParameterSpec(digest, "MGF1", mgf1, PSource.PSpecified.DEFAULT);
    this.hashLength = hashLength;
  }

  /**
   * The JDK parameters of this algorithm: its hash ({@code SHA-256} or {@code SHA-1}), MGF1 with
   * the same hash, and an empty label. Use them explicitly with {@code RSA/ECB/OAEPPadding}.
   *
   * @return the parameters (immutable, shared)
   */
  public OAEPParameterSpec oaepParameters() {
    return parameters;
  }

  /**
   * The JDK name of the OAEP hash, e.g. {@code SHA-256}, for {@link
   * java.security.MessageDigest#getInstance(String)}.
   *
   * @return the digest name
   */
  public String digestName() {
    return parameters.getDigestAlgorithm();
  }

  /**
   * The longest message this algorithm can wrap under an RSA key whose modulus is {@code
   * modulusBytes} bytes long: {@code modulusBytes - 2 * hashLength - 2} (RFC 8017, 7.1.1).
   *
   * @param modulusBytes length of the modulus in bytes ({@code (bits + 7) / 8})
   * @return the maximum length, negative when the modulus is too small for this algorithm
   */
  public int maxMessageLength(int modulusBytes) {
    return modulusBytes - 2 * hashLength - 2;
  }

  /** The stable byte written into envelopes. */
  public int id() {
    return id;
  }

  /** The JWA / Key Vault algorithm name. */
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
