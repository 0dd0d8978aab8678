package dev.cmk.softhsm.internal;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * The Wycheproof RSA-OAEP-256 decryption vectors in {@code shared/vectors/wycheproof} (next to the
 * repository). Found through the {@code cmk.wycheproof.dir} system property (set by the build) or
 * by walking up from the working directory. Missing vectors fail the test when {@code CI=true} and
 * skip it, with the reason, otherwise.
 */
public final class WycheproofOaep {

  /** The vector files, one per key size. */
  public static final List<String> FILES =
      List.of(
          "rsa_oaep_2048_sha256_mgf1sha256_test.json", "rsa_oaep_3072_sha256_mgf1sha256_test.json");

  /**
   * One test case.
   *
   * @param tcId the case id
   * @param comment what the case is about
   * @param flags the Wycheproof flags
   * @param msg the plaintext of valid cases
   * @param ct the ciphertext
   * @param label the OAEP label
   * @param valid whether decryption must succeed
   */
  public record Case(
      int tcId, String comment, List<String> flags, byte[] msg, byte[] ct, byte[] label, boolean valid) {
    @Override
    public String toString() {
      return "tcId " + tcId + " " + flags + " " + comment;
    }
  }

  /**
   * One file: its key and cases.
   *
   * @param file the file name
   * @param keySize modulus size in bits
   * @param privateKey the private key
   * @param cases the cases
   */
  public record Vectors(String file, int keySize, RSAPrivateCrtKey privateKey, List<Case> cases) {}

  private WycheproofOaep() {}

  /** The directory, or aborts / fails the test as described in the class comment. */
  public static Path directory() {
    Optional<Path> dir = find();
    if (dir.isEmpty()) {
      String why =
          "Wycheproof vectors not found: set -Dcmk.wycheproof.dir or keep ../shared/vectors/wycheproof"
              + " next to the repository";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(why + " (CI=true: missing vectors are a failure)");
      }
      Assumptions.abort(why);
    }
    return dir.get();
  }

  private static Optional<Path> find() {
    String property = System.getProperty("cmk.wycheproof.dir");
    if (property != null && Files.isDirectory(Path.of(property))) {
      return Optional.of(Path.of(property).normalize());
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("shared").resolve("vectors").resolve("wycheproof");
      if (Files.isDirectory(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Reads every file. */
  public static List<Vectors> load() {
    Path dir = directory();
    List<Vectors> out = new ArrayList<>();
    for (String file : FILES) {
      out.add(load(dir.resolve(file)));
    }
    return out;
  }

  private static Vectors load(Path file) {
    try {
      JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(file));
      if (!"rsaes_oaep_decrypt_schema_v1.json".equals(root.path("schema").asText())) {
        fail(file + ": unexpected schema " + root.path("schema").asText());
      }
      JsonNode groups = root.path("testGroups");
      if (groups.size() != 1) {
        fail(file + ": expected one test group, found " + groups.size());
      }
      JsonNode group = groups.get(0);
      if (!"SHA-256".equals(group.path("sha").asText())
          || !"SHA-256".equals(group.path("mgfSha").asText())) {
        fail(file + ": not an OAEP-SHA-256/MGF1-SHA-256 group");
      }
      HexFormat hex = HexFormat.of();
      RSAPrivateCrtKey key =
          (RSAPrivateCrtKey)
              KeyFactory.getInstance("RSA")
                  .generatePrivate(
                      new PKCS8EncodedKeySpec(hex.parseHex(group.path("privateKeyPkcs8").asText())));
      List<Case> cases = new ArrayList<>();
      for (JsonNode t : group.path("tests")) {
        List<String> flags = new ArrayList<>();
        t.path("flags").forEach(f -> flags.add(f.asText()));
        String result = t.path("result").asText();
        if (!result.equals("valid") && !result.equals("invalid")) {
          fail(file + " tcId " + t.path("tcId").asInt() + ": unexpected result " + result);
        }
        cases.add(
            new Case(
                t.path("tcId").asInt(),
                t.path("comment").asText(),
                List.copyOf(flags),
                hex.parseHex(t.path("msg").asText()),
                hex.parseHex(t.path("ct").asText()),
                hex.parseHex(t.path("label").asText()),
                result.equals("valid")));
      }
      if (cases.size() != root.path("numberOfTests").asInt()) {
        fail(file + ": numberOfTests does not match the cases read");
      }
      return new Vectors(
          file.getFileName().toString(), group.path("keySize").asInt(), key, List.copyOf(cases));
    } catch (IOException | GeneralSecurityException e) {
      throw new AssertionError("cannot read " + file, e);
    }
  }
}
