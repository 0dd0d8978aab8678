package dev.cmk.spring.boot;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base of the auto-configuration tests that run the starter on a keystore: before each test, a
 * new PKCS#12 keystore in a temporary directory holding the key {@code documents}.
 */
abstract class KeystoreContextBase {
  @TempDir Path dir;
  /** The keystore of the current test. */
  KeystoreFixture keys;

  @BeforeEach
  void createKeystore() {
    keys = new KeystoreFixture(dir, "documents");
  }
}
