package dev.cmk.testkit;

import static dev.cmk.testkit.ContractKeys.DATA_KEY_LENGTH;
import static dev.cmk.testkit.ContractKeys.RANDOM;
import static dev.cmk.testkit.ContractKeys.defaultSize;
import static dev.cmk.testkit.ContractKeys.flipBit;
import static dev.cmk.testkit.ContractKeys.ownKey;
import static dev.cmk.testkit.ContractKeys.randomDataKey;
import static dev.cmk.testkit.ContractKeys.randomVersionLike;
import static dev.cmk.testkit.ContractKeys.sharedKey;
import static dev.cmk.testkit.ContractKeys.withCiphertext;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cmk.api.CmkException;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The invalid-ciphertext contract: tampered, truncated or misdirected wrapped keys are {@link
 * InvalidCiphertextException}, and no failure puts the data key into an exception message.
 */
// JUnit is a static dependency of this module: whoever runs the contract has it on the path.
@SuppressWarnings("exports")
public interface InvalidCiphertextContract {

  /**
   * The provider under test and how to manage its keys.
   *
   * @return the subject
   */
  ContractSubject subject();

  /** One flipped bit anywhere in the wrapped bytes makes unwrap fail as invalid ciphertext. */
  @Test
  default void unwrap_tamperedCiphertext_throwsInvalidCiphertext() {
    WrappedKey wrapped = subject().provider().wrap(sharedKey(subject()), randomDataKey());
    byte[] ct = wrapped.ciphertext();
    for (int index : new int[] {0, ct.length / 2, ct.length - 1}) {
      WrappedKey tampered = withCiphertext(wrapped, flipBit(ct, index));
      assertThrows(
          InvalidCiphertextException.class,
          () -> subject().provider().unwrap(tampered),
          "bit flipped in byte " + index);
    }
  }

  /** Wrapped bytes cut short make unwrap fail as invalid ciphertext. */
  @Test
  default void unwrap_truncatedCiphertext_throwsInvalidCiphertext() {
    WrappedKey wrapped = subject().provider().wrap(sharedKey(subject()), randomDataKey());
    byte[] ct = wrapped.ciphertext();
    WrappedKey truncated = withCiphertext(wrapped, Arrays.copyOf(ct, ct.length - 1));
    assertThrows(InvalidCiphertextException.class, () -> subject().provider().unwrap(truncated));
  }

  /** A key wrapped under key A and presented as wrapped under key B does not unwrap. */
  @Test
  default void unwrap_ciphertextOfAnotherKey_throwsInvalidCiphertext() {
    int size = defaultSize(subject());
    WrappedKey underA = subject().provider().wrap(sharedKey(subject(), "a", size), randomDataKey());
    KeyReference b = sharedKey(subject(), "b", size);
    WrappedKey presentedAsB =
        new WrappedKey(underA.providerId(), b, underA.algorithm(), underA.ciphertext());
    assertThrows(
        InvalidCiphertextException.class, () -> subject().provider().unwrap(presentedAsB));
  }

  /**
   * No failure (unknown version, deleted key, disabled version, tampered or misdirected bytes,
   * versionless reference) puts the data key into an exception message, in hex or Base64.
   */
  @Test
  default void exceptions_anyFailure_neverContainDataKeyBytes() {
    KeyEncryptionKeyProvider provider = subject().provider();
    byte[] raw = new byte[DATA_KEY_LENGTH];
    RANDOM.nextBytes(raw);
    SecretBytes dataKey = SecretBytes.copyOf(raw);
    KeyReference own = ownKey(subject(), "messages");
    WrappedKey wrapped = provider.wrap(own, dataKey);
    byte[] ct = wrapped.ciphertext();
    KeyReference other = sharedKey(subject(), "b", defaultSize(subject()));

    List<Supplier<Object>> failures = new ArrayList<>();
    failures.add(() -> provider.wrap(own.withVersion(randomVersionLike()), dataKey));
    failures.add(() -> provider.wrap(own.versionless(), dataKey));
    failures.add(() -> provider.unwrap(withCiphertext(wrapped, flipBit(ct, ct.length / 2))));
    failures.add(
        () -> provider.unwrap(new WrappedKey(wrapped.providerId(), other, wrapped.algorithm(), ct)));
    List<Throwable> thrown = new ArrayList<>();
    for (Supplier<Object> f : failures) {
      thrown.add(assertThrows(RuntimeException.class, f::get));
    }
    subject().setEnabled(own, false);
    thrown.add(assertThrows(KeyAccessDeniedException.class, () -> provider.unwrap(wrapped)));
    subject().deleteKey(own.versionless());
    thrown.add(assertThrows(KeyNotFoundException.class, () -> provider.unwrap(wrapped)));
    thrown.add(assertThrows(KeyNotFoundException.class, () -> provider.wrap(own, dataKey)));

    List<String> forms =
        List.of(
            HexFormat.of().formatHex(raw),
            HexFormat.of().formatHex(raw).toUpperCase(Locale.ROOT),
            Base64.getEncoder().withoutPadding().encodeToString(raw),
            Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
    for (Throwable t : thrown) {
      if (!(t instanceof CmkException) && !(t instanceof IllegalArgumentException)) {
        fail("expected a cmk exception or IllegalArgumentException, got " + t);
      }
      for (Throwable c = t; c != null; c = c.getCause()) {
        String text = c.getMessage() + " " + c;
        for (String form : forms) {
          assertFalse(text.contains(form), "data key bytes in exception message: " + c.getClass());
        }
      }
    }
  }
}
