package dev.cmk.softhsm;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.SecretSource;
import java.nio.file.Path;

/**
 * A tiny command-line front end to {@link Pkcs11KeyManager}, run by the integration tests in a
 * second JVM: {@code KeyTool <library> <token label> disable|enable|delete|rotate <reference>}, PIN in
 * the environment variable {@value #PIN_VARIABLE}.
 */
public final class KeyTool {
  /** The environment variable holding the user PIN. */
  static final String PIN_VARIABLE = "CMK_TEST_PKCS11_PIN";

  private KeyTool() {}

  /**
   * Runs one action.
   *
   * @param args library, token label, action, key reference
   */
  public static void main(String[] args) {
    if (args.length != 4) {
      System.err.println("usage: KeyTool <library> <token label> disable|enable|delete|rotate <reference>");
      System.exit(2);
    }
    try (Pkcs11KeyProvider provider =
        Pkcs11KeyProvider.builder()
            .library(Path.of(args[0]))
            .tokenLabel(args[1])
            .pin(SecretSource.ofEnvironment(PIN_VARIABLE))
            .build()) {
      KeyReference ref = KeyReference.parse(args[3]);
      Pkcs11KeyManager manager = provider.manager();
      switch (args[2]) {
        case "disable":
          manager.setEnabled(ref, false);
          break;
        case "enable":
          manager.setEnabled(ref, true);
          break;
        case "delete":
          manager.deleteKey(ref);
          break;
        case "rotate":
          System.out.println("new version " + manager.rotateKey(ref));
          break;
        default:
          System.err.println("unknown action " + args[2]);
          System.exit(2);
      }
      System.out.println(args[2] + " " + ref + ": done");
    }
  }
}
