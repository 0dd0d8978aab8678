package dev.cmk.examples.fhir;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.keystore.KeystoreKeyProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * The demo's "key vault": a PKCS#12 keystore ({@code cmk-keystore}) in a directory, with one key
 * {@value #KEY_NAME}, managed the way a customer manages a key in Key Vault: create, rotate,
 * disable, enable. The FHIR server opens the same file with its own provider and sees every change
 * at its next key call, as it would see a change made in the Azure portal.
 *
 * <pre>
 * java -cp cmk-example-fhir-server.jar dev.cmk.examples.fhir.DemoKeystore setup|rotate|disable|enable|list DIR
 * </pre>
 *
 * <p>Files in the directory: {@value #KEYSTORE_FILE} and {@value #PASSWORD_FILE} (a random
 * password, owner-only). Demo material: do not protect real data with a password stored beside
 * its keystore.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (the keystore serializes changes).
 */
public final class DemoKeystore {
  /** The demo key's name. */
  public static final String KEY_NAME = "fhir-cmk";

  /** Keystore file name. */
  public static final String KEYSTORE_FILE = "keys.p12";

  /** Password file name. */
  public static final String PASSWORD_FILE = "keystore-password";

  private final Path directory;
  private final KeystoreKeyProvider keystore;

  private DemoKeystore(Path directory, KeystoreKeyProvider keystore) {
    this.directory = directory;
    this.keystore = keystore;
  }

  /**
   * Opens the demo keystore in {@code directory}, creating the directory, a random password, the
   * keystore and an RSA-3072 key {@value #KEY_NAME} when they do not exist.
   *
   * @param directory where the files live
   * @return the keystore
   * @throws UncheckedIOException if the files cannot be written
   */
  public static DemoKeystore openOrCreate(Path directory) {
    Objects.requireNonNull(directory, "directory");
    try {
      Files.createDirectories(directory);
      Path password = directory.resolve(PASSWORD_FILE);
      if (!Files.exists(password)) {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        writeOwnerOnly(password, Base64.getUrlEncoder().withoutPadding().encodeToString(random));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + directory, e);
    }
    KeystoreKeyProvider keystore =
        KeystoreKeyProvider.builder()
            .path(directory.resolve(KEYSTORE_FILE))
            .passwordFile(directory.resolve(PASSWORD_FILE))
            .create(true)
            .build();
    KeyManager manager = keystore.keyManager().orElseThrow();
    if (!manager.listKeys().contains(KeyReference.local(KEY_NAME, null))) {
      manager.createKey(KEY_NAME, 3072);
    }
    return new DemoKeystore(directory, keystore);
  }

  private static void writeOwnerOnly(Path file, String content) throws IOException {
    try {
      Files.createFile(file,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    } catch (FileAlreadyExistsException e) {
      // created concurrently: overwrite below
    }
    Files.writeString(file, content, StandardCharsets.UTF_8);
  }

  /** The key, versionless (the server follows its latest version). */
  public KeyReference key() {
    return KeyReference.local(KEY_NAME, null);
  }

  /** The key's latest version. */
  public KeyReference latestVersion() {
    return keystore.describe(key()).reference();
  }

  /** Every version, oldest first. */
  public List<KeyDescription> versions() {
    return keystore.keyManager().orElseThrow().listVersions(key());
  }

  /**
   * Adds a new version (the latest from now on).
   *
   * @return the new version
   */
  public KeyReference rotate() {
    return keystore.keyManager().orElseThrow().rotateKey(key());
  }

  /**
   * Enables or disables a version.
   *
   * @param version the version
   * @param enabled whether it may be used
   */
  public void setEnabled(KeyReference version, boolean enabled) {
    keystore.keyManager().orElseThrow().setEnabled(version, enabled);
  }

  /** The key settings a FHIR server needs to use this keystore. */
  public KeySettings settings() {
    return KeySettings.builder()
        .keyEncryptionKeyUrl(key())
        .keystore(directory.resolve(KEYSTORE_FILE))
        .keystorePasswordFile(directory.resolve(PASSWORD_FILE))
        .build();
  }

  /**
   * Runs one command on the demo keystore in a directory.
   *
   * @param args {@code setup|rotate|disable|enable|list DIR}
   */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length != 2) {
      err.println("usage: DemoKeystore setup|rotate|disable|enable|list DIR");
      return 2;
    }
    try {
      DemoKeystore k = openOrCreate(Path.of(args[1]));
      switch (args[0]) {
        case "setup":
          out.println("keystore " + k.directory.resolve(KEYSTORE_FILE) + ", key " + k.key()
              + ", latest version " + k.latestVersion().version().orElse("-"));
          return 0;
        case "rotate":
          out.println("rotated: new version " + k.rotate());
          return 0;
        case "disable":
          KeyReference off = k.latestVersion();
          k.setEnabled(off, false);
          out.println("disabled " + off);
          return 0;
        case "enable":
          KeyReference on = k.latestVersion();
          k.setEnabled(on, true);
          out.println("enabled " + on);
          return 0;
        case "list":
          for (KeyDescription d : k.versions()) {
            out.println(d.reference() + "  " + d.keyType().jwkName() + "-" + d.sizeBits()
                + "  " + (d.enabled() ? "enabled" : "DISABLED"));
          }
          return 0;
        default:
          err.println("unknown command " + args[0]
              + " (setup, rotate, disable, enable, list)");
          return 2;
      }
    } catch (RuntimeException e) {
      err.println("demo keystore: " + e.getMessage());
      return 1;
    }
  }
}
