package dev.cmk.softhsm.internal;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cmk.testkit.WycheproofVectors;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The Wycheproof RSA-OAEP-256 decryption vectors (2048 and 3072 bits), parsed. They ship in
 * cmk-testkit ({@link WycheproofVectors}, with their license), so every clone runs the vector tests;
 * a missing file fails the test instead of skipping it.
 */
public final class WycheproofOaep {

  /** The vector files, one per key size. */
  public static final List<String> FILES =
      List.of(WycheproofVectors.RSA_OAEP_2048_SHA256, WycheproofVectors.RSA_OAEP_3072_SHA256);

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

  /** Reads every file. */
  public static List<Vectors> load() {
    List<Vectors> out = new ArrayList<>();
    for (String file : FILES) {
      out.add(load(file));
    }
    return out;
  }

  private static Vectors load(String file) {
    try {
      JsonNode root = new ObjectMapper().readTree(WycheproofVectors.bytes(file));
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
      return new Vectors(file, group.path("keySize").asInt(), key, List.copyOf(cases));
    } catch (IOException | GeneralSecurityException e) {
      throw new AssertionError("cannot read " + file, e);
    }
  }
}
