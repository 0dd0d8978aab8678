package dev.cmk.testkit;

import static dev.cmk.testkit.ContractKeys.ownKey;
import static dev.cmk.testkit.ContractKeys.randomDataKey;
import static dev.cmk.testkit.ContractKeys.randomVersionLike;
import static dev.cmk.testkit.ContractKeys.sharedKey;
import static dev.cmk.testkit.ContractKeys.uniqueKeyName;
import static dev.cmk.testkit.ContractKeys.withOtherName;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The not-found and not-served contract: deleted keys, keys and versions never created, references
 * the provider does not {@linkplain KeyEncryptionKeyProvider#serves serve} and wrapped keys naming
 * another provider id are all {@link KeyNotFoundException}, never an {@link
 * IllegalArgumentException} (the one rule of {@link dev.cmk.api.spi.ServedKeys}).
 */
// JUnit is a static dependency of this module: whoever runs the contract has it on the path.
@SuppressWarnings("exports")
public interface KeyNotFoundContract {

  /**
   * The provider under test and how to manage its keys.
   *
   * @return the subject
   */
  ContractSubject subject();

  /** Deleted keys are not found. */
  @Test
  default void describe_deletedKey_throwsKeyNotFound() {
    KeyEncryptionKeyProvider provider = subject().provider();
    KeyReference version = ownKey(subject(), "describe-deleted");
    subject().deleteKey(version.versionless());
    assertThrows(KeyNotFoundException.class, () -> provider.describe(version.versionless()));
    assertThrows(KeyNotFoundException.class, () -> provider.describe(version));
  }

  /** A version that was never created is not found. */
  @Test
  default void describe_unknownVersion_throwsKeyNotFound() {
    KeyReference unknown = sharedKey(subject()).withVersion(randomVersionLike());
    assertThrows(KeyNotFoundException.class, () -> subject().provider().describe(unknown));
  }

  /** A key that was never created is not found. */
  @Test
  default void describe_unknownKey_throwsKeyNotFound() {
    KeyReference unknown = withOtherName(sharedKey(subject()), uniqueKeyName("never-created"));
    assertThrows(KeyNotFoundException.class, () -> subject().provider().describe(unknown));
  }

  /** A wrapped key of a deleted key is not found. */
  @Test
  default void unwrap_deletedKey_throwsKeyNotFound() {
    KeyReference version = ownKey(subject(), "unwrap-deleted");
    WrappedKey wrapped = subject().provider().wrap(version, randomDataKey());
    subject().deleteKey(version.versionless());
    assertThrows(KeyNotFoundException.class, () -> subject().provider().unwrap(wrapped));
  }

  /** A wrapped key naming a version that was never created is not found. */
  @Test
  default void unwrap_unknownVersion_throwsKeyNotFound() {
    WrappedKey real = subject().provider().wrap(sharedKey(subject()), randomDataKey());
    WrappedKey unknown =
        new WrappedKey(
            real.providerId(),
            real.keyReference().withVersion(randomVersionLike()),
            real.algorithm(),
            real.ciphertext());
    assertThrows(KeyNotFoundException.class, () -> subject().provider().unwrap(unknown));
  }

  /** Wrapping under a version that was never created fails as not found. */
  @Test
  default void wrap_unknownVersion_throwsKeyNotFound() {
    KeyReference unknown = sharedKey(subject()).withVersion(randomVersionLike());
    assertThrows(
        KeyNotFoundException.class, () -> subject().provider().wrap(unknown, randomDataKey()));
  }

  /**
   * A reference the provider does not {@linkplain KeyEncryptionKeyProvider#serves serve} (another
   * kind of key store) is not found by every operation, never an {@link IllegalArgumentException}:
   * the one "not served" rule ({@link dev.cmk.api.spi.ServedKeys}).
   */
  @Test
  default void anyOperation_unservedReference_throwsKeyNotFound() {
    KeyEncryptionKeyProvider provider = subject().provider();
    WrappedKey real = provider.wrap(sharedKey(subject()), randomDataKey());
    String version = randomVersionLike();
    List<KeyReference> candidates =
        List.of(
            KeyReference.local("cmk-contract-not-served", version),
            KeyReference.pkcs11("cmk-not-served", "cmk-contract-not-served", version),
            KeyReference.parse(
                "https://cmk-not-served.vault.azure.net/keys/cmk-contract-not-served/" + version));
    List<Executable> checks = new ArrayList<>();
    for (KeyReference ref : candidates) {
      if (provider.serves(ref) || provider.serves(ref.versionless())) {
        continue;
      }
      WrappedKey wrapped = new WrappedKey(provider.id(), ref, real.algorithm(), real.ciphertext());
      String kind = " " + ref.kind();
      checks.add(() -> assertThrows(KeyNotFoundException.class,
          () -> provider.describe(ref.versionless()), "describe" + kind));
      checks.add(() -> assertThrows(KeyNotFoundException.class,
          () -> provider.describe(ref), "describe versioned" + kind));
      checks.add(() -> assertThrows(KeyNotFoundException.class,
          () -> provider.resolveLatest(ref), "resolveLatest" + kind));
      checks.add(() -> assertThrows(KeyNotFoundException.class,
          () -> provider.wrap(ref, randomDataKey()), "wrap" + kind));
      checks.add(() -> assertThrows(KeyNotFoundException.class,
          () -> provider.unwrap(wrapped), "unwrap" + kind));
      checks.add(() -> assertThrows(KeyNotFoundException.class,
          () -> provider.publicKey(ref), "publicKey" + kind));
    }
    Assumptions.assumeFalse(checks.isEmpty(), "the provider serves every kind of reference");
    assertAll(checks);
  }

  /**
   * A wrapped key naming another provider id is not found, even when the key and the bytes are
   * this provider's: a provider never unwraps what the envelope says another provider made.
   */
  @Test
  default void unwrap_wrappedByAnotherProvider_throwsKeyNotFound() {
    KeyEncryptionKeyProvider provider = subject().provider();
    WrappedKey real = provider.wrap(sharedKey(subject()), randomDataKey());
    String otherId = provider.id().equals("contract-other") ? "contract-other-2" : "contract-other";
    WrappedKey other =
        new WrappedKey(otherId, real.keyReference(), real.algorithm(), real.ciphertext());
    KeyNotFoundException e = assertThrows(KeyNotFoundException.class, () -> provider.unwrap(other));
    assertTrue(e.isAuthoritative());
    assertNotNull(provider.unwrap(real), "the same bytes under the right id still unwrap");
  }
}
