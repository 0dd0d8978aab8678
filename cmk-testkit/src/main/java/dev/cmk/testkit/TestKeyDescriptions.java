package dev.cmk.testkit;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.TokenProtection;
import dev.cmk.api.VaultProtection;
import java.util.Objects;
import java.util.Set;

/**
 * Key descriptions for test providers: what a hand-written {@code KeyEncryptionKeyProvider} in a
 * test returns from {@code describe} when the test is about something else than the key's state.
 *
 * <p><b>Thread safety:</b> stateless; the values are immutable.
 */
public final class TestKeyDescriptions {
  /**
   * A recoverable, purge-protected vault with 90 days' retention (Azure's {@code Recoverable}): the
   * protection the key-policy presets require, and the in-memory provider's default.
   */
  public static final VaultProtection RECOVERABLE_VAULT =
      new VaultProtection(true, true, 90, "Recoverable");

  private TestKeyDescriptions() {}

  /**
   * An enabled version, valid at any time, that permits wrapKey and unwrapKey, in a {@link
   * #RECOVERABLE_VAULT}, not held by a PKCS#11 token.
   *
   * @param version the key version described
   * @param keyType the key type
   * @param sizeBits the modulus size in bits
   * @return the description
   * @throws NullPointerException if {@code version} or {@code keyType} is null
   * @throws IllegalArgumentException if {@code sizeBits} is negative
   */
  public static KeyDescription usable(KeyReference version, KeyType keyType, int sizeBits) {
    return new KeyDescription(
        Objects.requireNonNull(version, "version"),
        Objects.requireNonNull(keyType, "keyType"),
        sizeBits,
        true,
        null,
        null,
        Set.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY),
        RECOVERABLE_VAULT,
        TokenProtection.none());
  }
}
