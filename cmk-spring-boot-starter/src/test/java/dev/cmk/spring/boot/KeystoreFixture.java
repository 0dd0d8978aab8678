package dev.cmk.spring.boot;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.keystore.KeystoreKeyProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A PKCS#12 keystore file with one 2048-bit key, made through cmk-keystore's key manager. */
final class KeystoreFixture {
  final Path keystore;
  final Path passwordFile;
  final KeyReference key;
  final KeystoreKeyProvider provider;

  KeystoreFixture(Path dir, String keyName) {
    try {
      keystore = dir.resolve("keys.p12");
      passwordFile = dir.resolve("keystore-password");
      Files.writeString(passwordFile, "a-test-password-that-unlocks-a-temp-file");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    provider = KeystoreKeyProvider.builder()
        .path(keystore)
        .passwordFile(passwordFile)
        .create(true)
        .build();
    KeyManager manager = provider.keyManager().orElseThrow();
    key = manager.createKey(keyName, 2048);
  }

  KeyManager manager() {
    return provider.keyManager().orElseThrow();
  }

  /** The properties that configure the starter for this keystore and key (versionless). */
  String[] properties() {
    return new String[] {
      "cmk.provider=keystore",
      "cmk.key=" + key.versionless(),
      "cmk.keystore.path=" + keystore,
      "cmk.keystore.password-file=" + passwordFile,
      "cmk.policy=fhir-service",
    };
  }
}
