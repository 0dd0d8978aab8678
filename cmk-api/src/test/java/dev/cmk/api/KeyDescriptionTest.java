package dev.cmk.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeyDescriptionTest {
  private static final KeyReference V1 = KeyReference.local("k", "v1");
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant T1 = Instant.parse("2027-01-01T00:00:00Z");
  private static final Set<KeyOperation> WRAP_UNWRAP = Set.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY);

  private static KeyDescription describe(boolean enabled, Instant nbf, Instant exp, Set<KeyOperation> ops) {
    return new KeyDescription(
        V1, KeyType.RSA, 2048, enabled, nbf, exp, ops, VaultProtection.none(), TokenProtection.none());
  }

  @Test
  void isValidAt_notBeforeInclusiveExpiryExclusive() {
    KeyDescription d = describe(true, T0, T1, WRAP_UNWRAP);
    assertFalse(d.isValidAt(T0.minusNanos(1)));
    assertTrue(d.isValidAt(T0));
    assertTrue(d.isValidAt(T1.minusNanos(1)));
    assertFalse(d.isValidAt(T1));
    assertEquals(T0, d.notBefore());
    assertEquals(T1, d.expiresOn());
  }

  @Test
  void isValidAt_noWindow_alwaysValid() {
    KeyDescription d = describe(true, null, null, WRAP_UNWRAP);
    assertTrue(d.isValidAt(Instant.MIN));
    assertTrue(d.isValidAt(Instant.MAX));
    assertNull(d.notBefore());
    assertThrows(NullPointerException.class, () -> d.isValidAt(null));
  }

  @Test
  void isUsableAt_requiresEnabledValidAndBothOperations() {
    assertTrue(describe(true, null, null, WRAP_UNWRAP).isUsableAt(T0));
    assertFalse(describe(false, null, null, WRAP_UNWRAP).isUsableAt(T0));
    assertFalse(describe(true, null, T0, WRAP_UNWRAP).isUsableAt(T0));
    assertFalse(describe(true, null, null, Set.of(KeyOperation.WRAP_KEY)).isUsableAt(T0));
    assertFalse(describe(true, null, null, Set.of(KeyOperation.UNWRAP_KEY)).isUsableAt(T0));
  }

  @Test
  void operations_areCopiedAndImmutable() {
    Set<KeyOperation> ops = EnumSet.of(KeyOperation.WRAP_KEY);
    KeyDescription d = describe(true, null, null, ops);
    ops.add(KeyOperation.UNWRAP_KEY);
    assertEquals(Set.of(KeyOperation.WRAP_KEY), d.operations());
    assertThrows(UnsupportedOperationException.class, () -> d.operations().add(KeyOperation.SIGN));
  }

  @Test
  void version_namesDescribedVersion() {
    assertEquals("v1", describe(true, null, null, WRAP_UNWRAP).version());
  }

  @Test
  void constructor_invalidFields_areRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> new KeyDescription(V1, KeyType.RSA, -1, true, null, null, WRAP_UNWRAP, VaultProtection.none(), TokenProtection.none()));
    assertEquals("reference", assertThrows(NullPointerException.class,
        () -> new KeyDescription(null, KeyType.RSA, 2048, true, null, null, WRAP_UNWRAP, VaultProtection.none(), TokenProtection.none())).getMessage());
    assertEquals("keyType", assertThrows(NullPointerException.class,
        () -> new KeyDescription(V1, null, 2048, true, null, null, WRAP_UNWRAP, VaultProtection.none(), TokenProtection.none())).getMessage());
    assertEquals("operations", assertThrows(NullPointerException.class,
        () -> new KeyDescription(V1, KeyType.RSA, 2048, true, null, null, null, VaultProtection.none(), TokenProtection.none())).getMessage());
    assertEquals("vaultProtection", assertThrows(NullPointerException.class,
        () -> new KeyDescription(V1, KeyType.RSA, 2048, true, null, null, WRAP_UNWRAP, null, TokenProtection.none())).getMessage());
  }

  private static KeyAccessDeniedException.Reason reason(KeyDescription d, KeyOperation op, Instant now) {
    return d.refusal(op, now).orElseThrow().reason();
  }

  @Test
  void refusal_usableVersion_empty() {
    KeyDescription d = describe(true, T0, T1, WRAP_UNWRAP);
    assertEquals(Optional.empty(), d.refusal(KeyOperation.WRAP_KEY, T0));
    assertEquals(Optional.empty(), d.refusal(KeyOperation.UNWRAP_KEY, T1.minusNanos(1)));
    d.checkUsable(KeyOperation.UNWRAP_KEY, T0); // does not throw
  }

  @Test
  void refusal_disabled_keyDisabledBeforeAnythingElse() {
    KeyDescription d = describe(false, T1, null, Set.of());
    KeyAccessDeniedException e = d.refusal(KeyOperation.UNWRAP_KEY, T0).orElseThrow();
    assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, e.reason());
    assertEquals(Optional.of(V1), e.keyReference());
    assertEquals(null, e.getCause());
    assertTrue(e.getMessage().contains("disabled"), e.getMessage());
  }

  @Test
  void refusal_outsideWindow_keyNotValidNowNamingTheWindow() {
    KeyDescription d = describe(true, T0, T1, Set.of());
    assertEquals(KeyAccessDeniedException.Reason.KEY_NOT_VALID_NOW,
        reason(d, KeyOperation.WRAP_KEY, T0.minusNanos(1)));
    KeyAccessDeniedException e = d.refusal(KeyOperation.WRAP_KEY, T1).orElseThrow();
    assertEquals(KeyAccessDeniedException.Reason.KEY_NOT_VALID_NOW, e.reason());
    assertTrue(e.getMessage().contains("not-before " + T0 + ", expires " + T1), e.getMessage());
  }

  @Test
  void refusal_operationMissing_operationNotPermittedNamingIt() {
    KeyDescription d = describe(true, null, null, Set.of(KeyOperation.WRAP_KEY));
    assertEquals(Optional.empty(), d.refusal(KeyOperation.WRAP_KEY, T0));
    KeyAccessDeniedException e = d.refusal(KeyOperation.UNWRAP_KEY, T0).orElseThrow();
    assertEquals(KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED, e.reason());
    assertTrue(e.getMessage().contains("does not permit unwrapKey"), e.getMessage());
  }

  @Test
  void refusal_nonRsaKeyForWrap_operationNotPermitted() {
    KeyDescription ec =
        new KeyDescription(V1, KeyType.EC, 256, true, null, null,
            EnumSet.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY, KeyOperation.SIGN),
            VaultProtection.none(), TokenProtection.none());
    KeyAccessDeniedException e = ec.refusal(KeyOperation.WRAP_KEY, T0).orElseThrow();
    assertEquals(KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED, e.reason());
    assertTrue(e.getMessage().contains("type EC cannot wrapKey"), e.getMessage());
    assertEquals(Optional.empty(), ec.refusal(KeyOperation.SIGN, T0), "only wrap/unwrap need RSA");
    KeyDescription hsm =
        new KeyDescription(V1, KeyType.RSA_HSM, 2048, true, null, null, WRAP_UNWRAP,
            VaultProtection.none(), TokenProtection.none());
    assertEquals(Optional.empty(), hsm.refusal(KeyOperation.UNWRAP_KEY, T0));
  }

  @Test
  void checkUsable_refused_throwsTheRefusal() {
    KeyDescription d = describe(false, null, null, WRAP_UNWRAP);
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> d.checkUsable(KeyOperation.WRAP_KEY, T0));
    assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, e.reason());
    assertThrows(NullPointerException.class, () -> d.refusal(null, T0));
    assertThrows(NullPointerException.class, () -> d.refusal(KeyOperation.WRAP_KEY, null));
  }
}
