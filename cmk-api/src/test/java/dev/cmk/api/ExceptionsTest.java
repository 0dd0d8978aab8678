package dev.cmk.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Messages, classification and carried values of the exception hierarchy. */
class ExceptionsTest {
  private static final KeyReference REF = KeyReference.local("k", "v1");

  @Test
  void keyNotFound_messageNamesKeyAndIsAuthoritative() {
    IOException cause = new IOException("404");
    KeyNotFoundException e = new KeyNotFoundException("key not found", REF, cause);
    assertEquals("key not found (key local:k/v1)", e.getMessage());
    assertEquals(Optional.of(REF), e.keyReference());
    assertSame(cause, e.getCause());
    assertTrue(e.isAuthoritative());
    assertTrue(e instanceof KeyProviderException && e instanceof CmkException);
  }

  @Test
  void keyNotFound_withoutReference_messageIsUnchanged() {
    KeyNotFoundException e = new KeyNotFoundException("no provider serves the key", null);
    assertEquals("no provider serves the key", e.getMessage());
    assertEquals(Optional.empty(), e.keyReference());
    assertNull(e.getCause());
  }

  @Test
  void keyAccessDenied_carriesReasonAndIsAuthoritative() {
    KeyAccessDeniedException e =
        new KeyAccessDeniedException("key is disabled", KeyAccessDeniedException.Reason.KEY_DISABLED, REF);
    assertEquals(KeyAccessDeniedException.Reason.KEY_DISABLED, e.reason());
    assertEquals("key is disabled (key local:k/v1)", e.getMessage());
    assertTrue(e.isAuthoritative());
    assertEquals("reason", assertThrows(NullPointerException.class,
        () -> new KeyAccessDeniedException("m", null, REF)).getMessage());
  }

  @Test
  void keyProviderUnavailable_isTransientWithOptionalRetryAfter() {
    KeyProviderUnavailableException e =
        new KeyProviderUnavailableException("throttled", REF, Duration.ofSeconds(2), null);
    assertFalse(e.isAuthoritative());
    assertEquals(Optional.of(Duration.ofSeconds(2)), e.retryAfter());
    assertEquals(Optional.empty(), new KeyProviderUnavailableException("timeout", REF, null).retryAfter());
    assertThrows(IllegalArgumentException.class,
        () -> new KeyProviderUnavailableException("m", REF, Duration.ofSeconds(-1), null));
  }

  @Test
  void providerExceptions_nullMessage_throwNullPointer() {
    assertThrows(NullPointerException.class, () -> new KeyNotFoundException(null, REF));
    assertThrows(NullPointerException.class, () -> new KeyProviderUnavailableException(null, REF, null));
  }

  @Test
  void invalidCiphertext_alwaysHasTheUniformMessage() {
    assertEquals("invalid ciphertext", new InvalidCiphertextException().getMessage());
    IllegalStateException cause = new IllegalStateException("tag mismatch at offset 17");
    InvalidCiphertextException e = new InvalidCiphertextException(cause);
    assertEquals(InvalidCiphertextException.MESSAGE, e.getMessage());
    assertSame(cause, e.getCause());
  }

  @Test
  void keyAccessSuspended_carriesRefreshAndSince() {
    Instant since = Instant.parse("2026-01-01T00:00:00Z");
    KeyAccessSuspendedException e =
        new KeyAccessSuspendedException("the customer-managed key is not accessible", true, since, null);
    assertTrue(e.refreshRequired());
    assertEquals(Optional.of(since), e.since());
    assertEquals(Optional.empty(),
        new KeyAccessSuspendedException("m", false, null, null).since());
    assertThrows(NullPointerException.class, () -> new KeyAccessSuspendedException(null, false, null, null));
  }

  @Test
  void keyPolicyViolation_listsEveryViolation() {
    KeyPolicyViolationException e =
        new KeyPolicyViolationException(
            REF,
            List.of(
                new KeyPolicyViolationException.Violation("key-size", "key size 1024 not in [2048, 3072]"),
                new KeyPolicyViolationException.Violation("purge-protection", "vault purge protection disabled")));
    assertEquals(
        "key local:k/v1 violates the key policy: key size 1024 not in [2048, 3072]; vault purge"
            + " protection disabled",
        e.getMessage());
    assertEquals(2, e.violations().size());
    assertEquals(REF, e.keyReference());
    assertThrows(UnsupportedOperationException.class, () -> e.violations().clear());
  }

  @Test
  void keyPolicyViolation_invalidArguments_areRejected() {
    assertThrows(IllegalArgumentException.class, () -> new KeyPolicyViolationException(REF, List.of()));
    assertThrows(NullPointerException.class, () -> new KeyPolicyViolationException(REF, null));
    List<KeyPolicyViolationException.Violation> one =
        List.of(new KeyPolicyViolationException.Violation("r", "m"));
    assertThrows(NullPointerException.class, () -> new KeyPolicyViolationException(null, one));
    assertThrows(IllegalArgumentException.class, () -> new KeyPolicyViolationException.Violation(" ", "m"));
    assertThrows(IllegalArgumentException.class, () -> new KeyPolicyViolationException.Violation("r", ""));
  }

  @Test
  void unsupportedFormat_keepsMessage() {
    UnsupportedFormatException e = new UnsupportedFormatException("envelope format version 7 is not supported");
    assertEquals("envelope format version 7 is not supported", e.getMessage());
    assertTrue(e instanceof CmkException);
  }
}
