package dev.cmk.softhsm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_KEY_SIZE_RANGE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_KEY_TYPE_INCONSISTENT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_ARGUMENTS_BAD;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_CRYPTOKI_NOT_INITIALIZED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_DEVICE_ERROR;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_DEVICE_MEMORY;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_ENCRYPTED_DATA_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_FUNCTION_FAILED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_FUNCTION_NOT_SUPPORTED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_MECHANISM_PARAM_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_EXPIRED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_LEN_RANGE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_DEVICE_REMOVED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_GENERAL_ERROR;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_KEY_FUNCTION_NOT_PERMITTED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_KEY_HANDLE_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_MECHANISM_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_OBJECT_HANDLE_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_INCORRECT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_LOCKED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_SESSION_HANDLE_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_TOKEN_NOT_PRESENT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_USER_NOT_LOGGED_IN;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import org.junit.jupiter.api.Test;
import org.xipki.pkcs11.wrapper.PKCS11Exception;

class Pkcs11ErrorsTest {
  private static final KeyReference REF = KeyReference.parse("pkcs11:token=cmk;object=k;id=v0001");

  private static KeyProviderException classify(long code) {
    PKCS11Exception e = new PKCS11Exception(code);
    KeyProviderException c = Pkcs11Errors.toCmk(e, "unwrap", REF);
    assertSame(e, c.getCause(), "the vendor exception is kept as the cause");
    assertEquals(REF, c.keyReference().orElseThrow());
    assertTrue(c.getMessage().contains(Pkcs11Errors.name(code)), c.getMessage());
    return c;
  }

  @Test
  void toCmk_keyFunctionNotPermitted_deniedKeyDisabled() {
    KeyAccessDeniedException e =
        assertInstanceOf(KeyAccessDeniedException.class, classify(CKR_KEY_FUNCTION_NOT_PERMITTED));
    assertEquals(Reason.KEY_DISABLED, e.reason());
    assertTrue(e.isAuthoritative());
  }

  @Test
  void toCmk_mechanismInvalid_deniedOperationNotPermitted() {
    assertEquals(
        Reason.OPERATION_NOT_PERMITTED,
        assertInstanceOf(KeyAccessDeniedException.class, classify(CKR_MECHANISM_INVALID)).reason());
  }

  @Test
  void toCmk_pinErrors_deniedIdentityNotAuthorized() {
    for (long code : new long[] {CKR_PIN_INCORRECT, CKR_PIN_LOCKED}) {
      assertEquals(
          Reason.IDENTITY_NOT_AUTHORIZED,
          assertInstanceOf(KeyAccessDeniedException.class, classify(code)).reason());
    }
  }

  @Test
  void toCmk_handleInvalid_keyNotFound() {
    assertInstanceOf(KeyNotFoundException.class, classify(CKR_OBJECT_HANDLE_INVALID));
    assertInstanceOf(KeyNotFoundException.class, classify(CKR_KEY_HANDLE_INVALID));
  }

  @Test
  void toCmk_lostSessionsAndOtherErrors_unavailableAndNotAuthoritative() {
    for (long code :
        new long[] {CKR_SESSION_HANDLE_INVALID, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_GENERAL_ERROR}) {
      KeyProviderException e = classify(code);
      assertInstanceOf(KeyProviderUnavailableException.class, e);
      assertFalse(e.isAuthoritative());
    }
  }

  @Test
  void isSessionLost_sessionAndDeviceCodes_true() {
    for (long code :
        new long[] {CKR_SESSION_HANDLE_INVALID, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_USER_NOT_LOGGED_IN}) {
      assertTrue(Pkcs11Errors.isSessionLost(code), Pkcs11Errors.name(code));
    }
    assertFalse(Pkcs11Errors.isSessionLost(CKR_KEY_FUNCTION_NOT_PERMITTED));
    assertFalse(Pkcs11Errors.isSessionLost(CKR_PIN_INCORRECT));
  }

  @Test
  void name_knownAndUnknownCodes_symbolicOrHex() {
    assertEquals("CKR_PIN_INCORRECT", Pkcs11Errors.name(CKR_PIN_INCORRECT));
    String unknown = Pkcs11Errors.name(0x7fff_ffffL);
    assertTrue(unknown.toLowerCase(java.util.Locale.ROOT).contains("7fffffff"), unknown);
  }

  @Test
  void isProbeAnswerDefinite_capabilityAnswers_true() {
    for (long code :
        new long[] {
          CKR_MECHANISM_INVALID,
          CKR_MECHANISM_PARAM_INVALID,
          CKR_ARGUMENTS_BAD,
          CKR_FUNCTION_NOT_SUPPORTED,
          CKR_ENCRYPTED_DATA_INVALID
        }) {
      assertTrue(Pkcs11Errors.isProbeAnswerDefinite(code), Pkcs11Errors.name(code));
    }
  }

  @Test
  void isProbeAnswerDefinite_refusalsThatConcernTheKey_falseAndKeySpecific() {
    for (long code :
        new long[] {CKR_KEY_TYPE_INCONSISTENT, CKR_KEY_SIZE_RANGE, CKR_KEY_FUNCTION_NOT_PERMITTED}) {
      assertTrue(Pkcs11Errors.isKeySpecific(code), Pkcs11Errors.name(code));
      assertFalse(Pkcs11Errors.isProbeAnswerDefinite(code), Pkcs11Errors.name(code));
    }
    for (long code : new long[] {CKR_MECHANISM_INVALID, CKR_ARGUMENTS_BAD, CKR_GENERAL_ERROR}) {
      assertFalse(Pkcs11Errors.isKeySpecific(code), Pkcs11Errors.name(code));
    }
  }

  @Test
  void isProbeAnswerDefinite_transientOrUnrelatedFailures_falseAndClassifiedTransient() {
    for (long code :
        new long[] {
          CKR_GENERAL_ERROR,
          CKR_FUNCTION_FAILED,
          CKR_DEVICE_ERROR,
          CKR_DEVICE_MEMORY,
          CKR_DEVICE_REMOVED,
          CKR_TOKEN_NOT_PRESENT,
          CKR_CRYPTOKI_NOT_INITIALIZED,
          CKR_SESSION_HANDLE_INVALID,
          CKR_USER_NOT_LOGGED_IN
        }) {
      assertFalse(Pkcs11Errors.isProbeAnswerDefinite(code), Pkcs11Errors.name(code));
      assertInstanceOf(KeyProviderUnavailableException.class, classify(code));
    }
  }

  @Test
  void isMechanismAbsent_onlyMechanismInvalid() {
    assertTrue(Pkcs11Errors.isMechanismAbsent(CKR_MECHANISM_INVALID));
    for (long code :
        new long[] {
          CKR_DEVICE_ERROR, CKR_TOKEN_NOT_PRESENT, CKR_CRYPTOKI_NOT_INITIALIZED, CKR_GENERAL_ERROR
        }) {
      assertFalse(Pkcs11Errors.isMechanismAbsent(code), Pkcs11Errors.name(code));
    }
  }

  @Test
  void isPinRefused_wrongLockedExpiredPin_trueOtherLoginFailures_false() {
    for (long code :
        new long[] {CKR_PIN_INCORRECT, CKR_PIN_LOCKED, CKR_PIN_EXPIRED, CKR_PIN_INVALID, CKR_PIN_LEN_RANGE}) {
      assertTrue(Pkcs11Errors.isPinRefused(code), Pkcs11Errors.name(code));
    }
    for (long code :
        new long[] {CKR_USER_ANOTHER_ALREADY_LOGGED_IN, CKR_DEVICE_ERROR, CKR_SESSION_HANDLE_INVALID}) {
      assertFalse(Pkcs11Errors.isPinRefused(code), Pkcs11Errors.name(code));
    }
  }
}
