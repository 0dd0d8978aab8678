package dev.cmk.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The README's "Keys over time" example, compiled and run, so it cannot rot. */
class KeysReadmeTest {

  @Test
  void keysOverTime_asPrintedInReadme_moveKeepsOldReadableUntilRetired() {
    InMemoryKeyProvider oldVault = InMemoryKeyProvider.builder().id("vault").build();
    KeyReference oldKey = oldVault.manager().createKey("patients", 3072).versionless();
    KeyReference newKey = oldVault.manager().createKey("patients-2027", 3072).versionless();
    InMemoryKeyProvider newVault = oldVault; // one in-memory backend stands in for two vaults
    byte[] aad = "Patient/123/1".getBytes(UTF_8);
    byte[] json = "{}".getBytes(UTF_8);
    // keys:start
    AtomicReference<KeyConfiguration> config =
        new AtomicReference<>(new KeyConfiguration(oldVault, oldKey));
    EnvelopeCrypto crypto = EnvelopeCrypto.builder().keyConfiguration(config::get).build();
    byte[] old = crypto.encrypt(json, aad);

    config.set(new KeyConfiguration(newVault, newKey)); // the customer moved the key
    crypto.keyAccess().refresh();                        // new writes: newKey
    crypto.decrypt(old, aad);                            // still readable through oldVault
    crypto.keyring().decryptOnlyKeys();                  // [oldKey]

    // once everything is re-wrapped (crypto.rewrapAll(...)), stop trusting the old key:
    crypto.keyring().retire(oldKey);                     // its envelopes: KeyNotFoundException
    // keys:end
    assertEquals(Set.of(), crypto.keyring().decryptOnlyKeys());
    assertThrows(KeyNotFoundException.class, () -> crypto.decrypt(old, aad));
    assertArrayEquals(json, crypto.decrypt(crypto.encrypt(json, aad), aad));
    assertTrue(newKey.sameKeyAs(EnvelopeInfo.of(crypto.encrypt(json, aad)).keyReference()));
  }

  @Test
  void readme_containsTheKeysExampleVerbatim() throws IOException {
    String source = Files.readString(Path.of("src/test/java/dev/cmk/core/KeysReadmeTest.java"));
    String snippet = source.substring(source.indexOf("// keys:start") + 14,
        source.indexOf("    // keys:end"));
    String text = Files.readString(Path.of("..", "README.md"));
    for (String line : snippet.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
      assertTrue(text.contains(line), "README.md is missing the line: " + line);
    }
  }
}
