package dev.cmk.spring.boot;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.SecretSource;
import dev.cmk.softhsm.Pkcs11KeyProvider;
import dev.cmk.softhsm.Pkcs11KeyProviderBuilder;
import java.nio.file.Path;
import java.time.Clock;

/** The PKCS#11 provider from {@code cmk.pkcs11.*}; loaded only when that provider is configured. */
final class Pkcs11Providers {
  private Pkcs11Providers() {}

  static KeyEncryptionKeyProvider create(CmkProperties.Pkcs11 p, Clock clock) {
    Pkcs11KeyProviderBuilder b = Pkcs11KeyProvider.builder().library(Path.of(p.library()));
    if (p.tokenLabel() != null) {
      b.tokenLabel(p.tokenLabel());
    } else if (p.tokenSerial() != null) {
      b.tokenSerial(p.tokenSerial());
    } else {
      b.slotId(p.slotId());
    }
    b.pin(p.pinFile() != null && !p.pinFile().isBlank()
        ? SecretSource.ofFile(Path.of(p.pinFile()))
        : SecretSource.ofEnvironment(p.pinEnv()));
    if (p.maxSessions() != null) {
      b.maxSessions(p.maxSessions());
    }
    if (clock != null) {
      b.clock(clock);
    }
    return b.build();
  }
}
