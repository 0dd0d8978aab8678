package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FaultTest {
  private static final KeyReference REF = KeyReference.local("k", "00000001");

  @Test
  void denied_default_isUnspecifiedAccessDenied() {
    KeyAccessDeniedException e =
        assertInstanceOf(
            KeyAccessDeniedException.class, Fault.denied().exceptionFor(Operation.UNWRAP, REF));
    assertEquals(Reason.UNSPECIFIED, e.reason());
    assertEquals(REF, e.keyReference().orElseThrow());
    assertTrue(e.getMessage().contains("injected") && e.getMessage().contains("unwrap"), e.getMessage());
  }

  @Test
  void denied_withReason_carriesReason() {
    for (Reason r : Reason.values()) {
      assertEquals(
          r,
          ((KeyAccessDeniedException) Fault.denied(r).exceptionFor(Operation.WRAP, REF)).reason());
    }
    assertThrows(NullPointerException.class, () -> Fault.denied(null));
  }

  @Test
  void notFound_isKeyNotFound() {
    KeyNotFoundException e =
        assertInstanceOf(
            KeyNotFoundException.class, Fault.notFound().exceptionFor(Operation.DESCRIBE, REF));
    assertTrue(e.isAuthoritative());
    assertEquals(REF, e.keyReference().orElseThrow());
  }

  @Test
  void transientFailure_withAndWithoutRetryAfter() {
    KeyProviderUnavailableException plain =
        assertInstanceOf(
            KeyProviderUnavailableException.class,
            Fault.transientFailure().exceptionFor(Operation.WRAP, null));
    assertTrue(plain.retryAfter().isEmpty());
    assertTrue(plain.keyReference().isEmpty());
    KeyProviderUnavailableException hinted =
        (KeyProviderUnavailableException)
            Fault.transientFailure(Duration.ofSeconds(7)).exceptionFor(Operation.WRAP, REF);
    assertEquals(Duration.ofSeconds(7), hinted.retryAfter().orElseThrow());
    assertThrows(IllegalArgumentException.class, () -> Fault.transientFailure(Duration.ofSeconds(-1)));
    assertThrows(NullPointerException.class, () -> Fault.transientFailure(null));
  }

  @Test
  void invalidCiphertext_hasUniformMessage() {
    RuntimeException e = Fault.invalidCiphertext().exceptionFor(Operation.UNWRAP, REF);
    assertInstanceOf(InvalidCiphertextException.class, e);
    assertEquals(InvalidCiphertextException.MESSAGE, e.getMessage());
  }

  @Test
  void exceptionFor_eachCall_returnsFreshException() {
    Fault f = Fault.notFound();
    assertNotSame(f.exceptionFor(Operation.WRAP, REF), f.exceptionFor(Operation.WRAP, REF));
  }

  @Test
  void throwing_returnsSuppliedExceptionAndRejectsNull() {
    IllegalStateException boom = new IllegalStateException("boom");
    assertSame(boom, Fault.throwing(() -> boom).exceptionFor(Operation.WRAP, REF));
    assertThrows(
        IllegalStateException.class,
        () -> Fault.throwing(() -> null).exceptionFor(Operation.WRAP, REF));
    assertThrows(NullPointerException.class, () -> Fault.throwing(null));
    assertThrows(NullPointerException.class, () -> Fault.notFound().exceptionFor(null, REF));
  }

  @Test
  void toString_describesFault() {
    assertEquals("Fault[denied, KEY_DISABLED]", Fault.denied(Reason.KEY_DISABLED).toString());
    assertEquals("Fault[transient]", Fault.transientFailure().toString());
    assertEquals("Fault[transient, retryAfter=PT2S]", Fault.transientFailure(Duration.ofSeconds(2)).toString());
    assertEquals("Fault[not found]", Fault.notFound().toString());
    assertEquals("Fault[invalid ciphertext]", Fault.invalidCiphertext().toString());
  }
}
