package dev.cmk.testkit;

import static dev.cmk.testkit.ContractKeys.assertRoundTrip;
import static dev.cmk.testkit.ContractKeys.defaultSize;
import static dev.cmk.testkit.ContractKeys.ownKey;
import static dev.cmk.testkit.ContractKeys.randomDataKey;
import static dev.cmk.testkit.ContractKeys.sharedKey;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The key-version contract: describe and resolveLatest following rotation, old versions still
 * unwrapping after rotation, disabled versions refused ({@link KeyAccessDeniedException},
 * authoritative, reason {@code KEY_DISABLED}) and usable again once re-enabled, and the provider
 * serving the keys made for it.
 */
// JUnit is a static dependency of this module: whoever runs the contract has it on the path.
@SuppressWarnings("exports")
public interface KeyVersionsContract {

  /**
   * The provider under test and how to manage its keys.
   *
   * @return the subject
   */
  ContractSubject subject();

  /** A versionless describe of a fresh key reports its only version with sensible fields. */
  @Test
  default void describe_versionlessReference_describesLatestVersion() {
    KeyReference version = sharedKey(subject());
    KeyDescription d = subject().provider().describe(version.versionless());
    assertAll(
        () -> assertEquals(version, d.reference(), "describes the latest (only) version"),
        () -> assertTrue(d.reference().isVersioned()),
        () -> assertTrue(d.keyType().isRsa(), "RSA key type, found " + d.keyType()),
        () -> assertEquals(defaultSize(subject()), d.sizeBits()),
        () -> assertTrue(d.enabled()),
        () -> assertTrue(d.operations().contains(KeyOperation.WRAP_KEY), "permits wrapKey"),
        () -> assertTrue(d.operations().contains(KeyOperation.UNWRAP_KEY), "permits unwrapKey"),
        () -> assertNotNull(d.vaultProtection()),
        () -> assertTrue(d.isUsableAt(Instant.now()), "usable now"));
  }

  /** A versioned describe reports that version, also when it is no longer the latest. */
  @Test
  default void describe_olderVersionAfterRotate_describesThatVersion() {
    KeyEncryptionKeyProvider provider = subject().provider();
    KeyReference v1 = ownKey(subject(), "describe-old");
    KeyReference v2 = subject().rotateKey(v1);
    assertEquals(v1, provider.describe(v1).reference());
    assertEquals(v2, provider.describe(v2).reference());
    assertEquals(v2, provider.describe(v1.versionless()).reference());
  }

  /** resolveLatest follows rotation, from a versionless or any versioned reference. */
  @Test
  default void resolveLatest_afterRotate_returnsNewVersion() {
    KeyEncryptionKeyProvider provider = subject().provider();
    KeyReference v1 = ownKey(subject(), "resolve");
    assertEquals(v1, provider.resolveLatest(v1.versionless()));
    KeyReference v2 = subject().rotateKey(v1);
    assertNotEquals(v1, v2);
    assertTrue(v2.sameKeyAs(v1));
    assertEquals(v2, provider.resolveLatest(v1.versionless()));
    assertEquals(v2, provider.resolveLatest(v1), "a version in the reference is ignored");
  }

  /** Rotation never breaks old envelopes. */
  @Test
  default void unwrap_afterRotate_oldVersionStillUnwraps() {
    KeyReference v1 = ownKey(subject(), "rotate-old");
    SecretBytes dataKey = randomDataKey();
    WrappedKey wrapped = subject().provider().wrap(v1, dataKey);
    subject().rotateKey(v1);
    assertArrayEquals(dataKey.copy(), subject().provider().unwrap(wrapped).copy());
  }

  /** Wrapping with the resolved latest version after a rotation names the new version. */
  @Test
  default void wrap_resolvedLatestAfterRotate_namesNewVersion() {
    KeyEncryptionKeyProvider provider = subject().provider();
    KeyReference v1 = ownKey(subject(), "rotate-new");
    KeyReference v2 = subject().rotateKey(v1);
    WrappedKey wrapped = provider.wrap(provider.resolveLatest(v1.versionless()), randomDataKey());
    assertEquals(v2, wrapped.keyReference());
    assertRoundTrip(provider, v2, "new version");
  }

  /** A disabled version refuses to unwrap, authoritatively and as disabled. */
  @Test
  default void unwrap_disabledVersion_throwsKeyAccessDenied() {
    KeyReference version = ownKey(subject(), "disabled");
    WrappedKey wrapped = subject().provider().wrap(version, randomDataKey());
    subject().setEnabled(version, false);
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> subject().provider().unwrap(wrapped));
    assertTrue(e.isAuthoritative());
    assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, e.reason());
  }

  /** Re-enabling a version makes it unwrap again. */
  @Test
  default void unwrap_reEnabledVersion_succeedsAgain() {
    KeyReference version = ownKey(subject(), "reenabled");
    SecretBytes dataKey = randomDataKey();
    WrappedKey wrapped = subject().provider().wrap(version, dataKey);
    subject().setEnabled(version, false);
    assertThrows(KeyAccessDeniedException.class, () -> subject().provider().unwrap(wrapped));
    subject().setEnabled(version, true);
    assertArrayEquals(dataKey.copy(), subject().provider().unwrap(wrapped).copy());
  }

  /** Disabling one version leaves the other versions of the key usable. */
  @Test
  default void unwrap_otherVersionDisabled_stillSucceeds() {
    KeyReference v1 = ownKey(subject(), "disable-one");
    KeyReference v2 = subject().rotateKey(v1);
    SecretBytes dataKey = randomDataKey();
    WrappedKey wrapped = subject().provider().wrap(v2, dataKey);
    subject().setEnabled(v1, false);
    assertArrayEquals(dataKey.copy(), subject().provider().unwrap(wrapped).copy());
  }

  /** The provider serves the keys made for it, with and without a version. */
  @Test
  default void serves_createdKey_returnsTrue() {
    KeyReference version = sharedKey(subject());
    assertTrue(subject().provider().serves(version));
    assertTrue(subject().provider().serves(version.versionless()));
  }
}
