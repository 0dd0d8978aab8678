package dev.cmk.spring.boot;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.keystore.KeystoreKeyProvider;
import dev.cmk.keystore.KeystoreKeyProviderBuilder;
import java.nio.file.Path;
import java.time.Clock;

/** The keystore provider from {@code cmk.keystore.*}; loaded only when that provider is configured. */
final class KeystoreProviders {
  private KeystoreProviders() {}

  static KeyEncryptionKeyProvider create(CmkProperties.Keystore k, Clock clock) {
    KeystoreKeyProviderBuilder b = KeystoreKeyProvider.builder().path(Path.of(k.path()));
    if (k.passwordFile() != null && !k.passwordFile().isBlank()) {
      b.passwordFile(Path.of(k.passwordFile()));
    } else {
      b.passwordEnvironment(k.passwordEnv());
    }
    b.create(k.create());
    if (clock != null) {
      b.clock(clock);
    }
    return b.build();
  }
}
