package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The tools an HSM administrator uses instead of cmk: OpenSC's {@code pkcs11-tool} and SoftHSM2's
 * {@code softhsm2-util}, run as child processes against a test token (they inherit {@code
 * SOFTHSM2_CONF}, so they see the same token directory). Without {@code pkcs11-tool} the tests are
 * skipped, or fail when {@code CI=true} ({@code test.sh} installs OpenSC).
 */
final class AdminTools {
  private AdminTools() {}

  /**
   * {@code pkcs11-tool --keypairgen} on {@code token}: an RSA ({@code rsa:2048}) or EC ({@code
   * EC:prime256v1}) key pair with CKA_ID {@code idHex} and CKA_LABEL {@code label}, as pkcs11-tool
   * makes it (sensitive, not extractable, decrypt/sign/unwrap).
   */
  static void keypairgen(SoftHsm.TestToken token, String keyType, String idHex, String label) {
    run(
        requireTool("pkcs11-tool"),
        "--module", SoftHsm.library().toString(),
        "--token-label", token.label(),
        "--login", "--pin", token.userPin(),
        "--keypairgen", "--key-type", keyType,
        "--id", idHex,
        "--label", label);
  }

  /**
   * {@code softhsm2-util --import}: a fresh software RSA-2048 key pair (PKCS#8 PEM written to
   * {@code dir}) imported with CKA_ID {@code idHex} and CKA_LABEL {@code label}.
   */
  static void importRsa(SoftHsm.TestToken token, Path dir, String idHex, String label) {
    Path pem = dir.resolve("import-" + idHex + ".pem");
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      KeyPair pair = g.generateKeyPair();
      String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pair.getPrivate().getEncoded());
      Files.writeString(
          pem,
          "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n",
          StandardCharsets.US_ASCII);
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new AssertionError("cannot write the key to import", e);
    }
    run(
        requireTool("softhsm2-util"),
        "--import", pem.toString(),
        "--token", token.label(),
        "--pin", token.userPin(),
        "--id", idHex,
        "--label", label);
  }

  private static String requireTool(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    SoftHsm.unavailable(name + " not found on PATH (apt-get install opensc softhsm2)");
    throw new AssertionError("unreachable");
  }

  private static void run(String... command) {
    List<String> cmd = new ArrayList<>(List.of(command));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    try {
      Process p = pb.start();
      byte[] output = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(cmd.get(0) + " did not finish");
      }
      assertEquals(
          0,
          p.exitValue(),
          () -> Path.of(cmd.get(0)).getFileName() + " failed:\n" + new String(output, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError("cannot run " + cmd.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
