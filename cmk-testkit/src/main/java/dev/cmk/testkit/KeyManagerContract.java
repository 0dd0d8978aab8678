package dev.cmk.testkit;

import static dev.cmk.testkit.ContractKeys.defaultSize;
import static dev.cmk.testkit.ContractKeys.ownKey;
import static dev.cmk.testkit.ContractKeys.uniqueKeyName;
import static dev.cmk.testkit.ContractKeys.withOtherName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyManager;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The key-manager contract: the one lifecycle vocabulary of {@link KeyManager} (names, listing,
 * the failures it documents) on the {@linkplain ContractSubject#keyManager() subject's manager}
 * (by default the provider's own). Skipped when there is none.
 */
// JUnit is a static dependency of this module: whoever runs the contract has it on the path.
@SuppressWarnings("exports")
public interface KeyManagerContract {

  /**
   * The provider under test and how to manage its keys.
   *
   * @return the subject
   */
  ContractSubject subject();

  private KeyManager manager() {
    KeyManager manager = subject().keyManager().orElse(null);
    Assumptions.assumeTrue(manager != null, "no key manager");
    return manager;
  }

  /** A created key is listed, versionless, and is what {@link KeyManager#keyReference} names. */
  @Test
  default void listKeys_createdKey_isListedVersionlessUnderItsName() {
    KeyManager manager = manager();
    String name = uniqueKeyName("km-listed");
    KeyReference version = manager.createKey(name, defaultSize(subject()));
    assertTrue(version.isVersioned());
    assertEquals(version.versionless(), manager.keyReference(name));
    assertTrue(manager.listKeys().contains(version.versionless()), "listed: " + manager.listKeys());
    assertTrue(subject().provider().serves(manager.keyReference(name)));
  }

  /** Versions are listed oldest first, each with its own state. */
  @Test
  default void listVersions_afterRotateAndDisable_newestLastWithTheirState() {
    KeyManager manager = manager();
    KeyReference v1 = ownKey(subject(), "km-versions");
    KeyReference v2 = manager.rotateKey(v1.versionless());
    manager.setEnabled(v1, false);
    List<KeyDescription> versions = manager.listVersions(v1.versionless());
    assertEquals(List.of(v1, v2), versions.stream().map(KeyDescription::reference).toList());
    assertFalse(versions.get(0).enabled());
    assertTrue(versions.get(1).enabled());
  }

  /** A deleted key is no longer listed. */
  @Test
  default void listKeys_deletedKey_isNotListed() {
    KeyManager manager = manager();
    KeyReference version = ownKey(subject(), "km-deleted");
    manager.deleteKey(version.versionless());
    assertFalse(manager.listKeys().contains(version.versionless()), "listed: " + manager.listKeys());
  }

  /** A second key of one name is refused as a state conflict. */
  @Test
  default void createKey_existingName_throwsIllegalState() {
    KeyManager manager = manager();
    KeyReference version = ownKey(subject(), "km-twice");
    assertThrows(
        IllegalStateException.class,
        () -> manager.createKey(version.name(), defaultSize(subject())));
  }

  /** Enabling or disabling needs one exact version. */
  @Test
  default void setEnabled_versionlessReference_throwsIllegalArgument() {
    KeyManager manager = manager();
    KeyReference version = ownKey(subject(), "km-versionless");
    assertThrows(
        IllegalArgumentException.class, () -> manager.setEnabled(version.versionless(), false));
  }

  /** Rotating or listing a key that was never created is not found. */
  @Test
  default void rotateKeyAndListVersions_unknownKey_throwsKeyNotFound() {
    KeyManager manager = manager();
    KeyReference unknown =
        withOtherName(ownKey(subject(), "km-known"), uniqueKeyName("km-never-created"));
    assertThrows(KeyNotFoundException.class, () -> manager.rotateKey(unknown));
    assertThrows(KeyNotFoundException.class, () -> manager.listVersions(unknown));
  }
}
