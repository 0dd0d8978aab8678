package dev.cmk.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * Project Wycheproof test vectors (https://github.com/C2SP/wycheproof, Apache License 2.0) shipped
 * in this artifact, so that vector tests run in any clone, offline, with nothing next to the
 * repository. The files are byte-for-byte copies of {@code testvectors_v1/} at commit {@code
 * e0df04e0c033f2d25c5051dd06230336c7822358}; the license and provenance are beside them
 * ({@code dev/cmk/testkit/wycheproof/LICENSE} and {@code README.md}).
 *
 * <p>A vector file that cannot be found is a broken build, not a reason to skip: {@link #bytes}
 * throws, and the test fails.
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class WycheproofVectors {

  /** RSAES-OAEP, 2048-bit key, SHA-256 and MGF1-SHA-256 (37 decryption cases). */
  public static final String RSA_OAEP_2048_SHA256 = "rsa_oaep_2048_sha256_mgf1sha256_test.json";

  /** RSAES-OAEP, 3072-bit key, SHA-256 and MGF1-SHA-256 (37 decryption cases). */
  public static final String RSA_OAEP_3072_SHA256 = "rsa_oaep_3072_sha256_mgf1sha256_test.json";

  /** Every file shipped, for checks that the set is complete. */
  public static final List<String> FILES = List.of(RSA_OAEP_2048_SHA256, RSA_OAEP_3072_SHA256);

  private static final String DIRECTORY = "wycheproof/";

  private WycheproofVectors() {}

  /**
   * The bytes of one vector file.
   *
   * @param file one of the file names of this class, e.g. {@link #RSA_OAEP_2048_SHA256}
   * @return the file's bytes
   * @throws IllegalArgumentException if {@code file} is not one of {@link #FILES}
   * @throws IllegalStateException if the file is missing from the classpath (a broken build)
   */
  public static byte[] bytes(String file) {
    Objects.requireNonNull(file, "file");
    if (!FILES.contains(file)) {
      throw new IllegalArgumentException("not a shipped Wycheproof vector file: " + file);
    }
    try (InputStream in = WycheproofVectors.class.getResourceAsStream(DIRECTORY + file)) {
      if (in == null) {
        throw new IllegalStateException(
            "Wycheproof vector file dev/cmk/testkit/" + DIRECTORY + file
                + " is missing from cmk-testkit's resources");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Wycheproof vector file " + file, e);
    }
  }

  /**
   * One vector file as text.
   *
   * @param file as for {@link #bytes(String)}
   * @return the JSON text (UTF-8)
   * @throws IllegalArgumentException if {@code file} is not one of {@link #FILES}
   * @throws IllegalStateException if the file is missing from the classpath
   */
  public static String json(String file) {
    return new String(bytes(file), StandardCharsets.UTF_8);
  }
}
