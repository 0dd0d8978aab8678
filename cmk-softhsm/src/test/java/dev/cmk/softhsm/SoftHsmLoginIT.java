package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.ProviderDiscovery;
import dev.cmk.api.spi.SecretSource;
import dev.cmk.softhsm.internal.TokenConnection;
import dev.cmk.testkit.ManualClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Logging in: PIN sources, wrong PINs and token selection. */
class SoftHsmLoginIT {
  private static SoftHsm.TestToken token;

  @TempDir Path dir;

  @BeforeAll
  static void setUp() {
    token = SoftHsm.createToken("login-it");
  }

  private static void assertNoPin(Throwable t, String... pins) {
    StringWriter trace = new StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    for (Throwable c = t; c != null; c = c.getCause()) {
      for (String pin : pins) {
        assertFalse(String.valueOf(c.getMessage()).contains(pin), "PIN in a message: " + c);
        assertFalse(c.toString().contains(pin), "PIN in " + c.getClass());
      }
    }
    for (String pin : pins) {
      assertFalse(trace.toString().contains(pin), "PIN in the stack trace");
    }
  }

  /** The configuration error that {@code builder.build()} must throw. */
  private static IllegalStateException buildRefused(Pkcs11KeyProviderBuilder builder) {
    return assertThrows(IllegalStateException.class, builder::build);
  }

  @Test
  void build_wrongPin_configurationErrorWithoutThePin() {
    String wrong = "wrong-" + token.userPin().substring(0, 6) + "-4711";
    IllegalStateException e =
        buildRefused(token.providerWithoutPin().pin(SecretSource.ofCallback(wrong::toCharArray)));
    assertTrue(e.getMessage().contains("CKR_PIN_INCORRECT"), e.getMessage());
    assertTrue(e.getMessage().contains(token.label()), e.getMessage());
    assertTrue(e.getMessage().contains("SecretSource[PKCS#11 PIN from callback]"), e.getMessage());
    assertNoPin(e, wrong, token.userPin());
  }

  @Test
  void build_wrongPinWhileAnotherProviderIsLoggedIn_stillRefused() {
    try (Pkcs11KeyProvider good = token.provider().build()) {
      String wrong = "not-the-pin-123";
      IllegalStateException e =
          buildRefused(token.providerWithoutPin().pin(SecretSource.ofCallback(wrong::toCharArray)));
      assertTrue(e.getMessage().contains("CKR_PIN_INCORRECT"), e.getMessage());
      assertNoPin(e, wrong, token.userPin());
      KeyReference k = good.manager().createKey("still-works", 2048);
      assertTrue(good.describe(k).enabled(), "the logged-in provider is unaffected");
    }
  }

  @Test
  void relogin_pinRefused_latchedUntilPinChangesOrBackoffPasses() {
    AtomicReference<String> pin = new AtomicReference<>(token.userPin());
    ManualClock clock = ManualClock.create();
    String wrong = "wrong-" + token.userPin().substring(0, 4) + "-0815";
    try (Pkcs11KeyProvider p =
        token
            .providerWithoutPin()
            .pin(SecretSource.ofCallback(() -> pin.get().toCharArray()))
            .clock(clock)
            .build()) {
      KeyReference k = p.manager().createKey("relogin", 2048);
      WrappedKey w = p.wrap(k, SecretBytes.copyOf(new byte[32]));
      TokenConnection c = p.connection();
      pin.set(wrong);
      SoftHsm.logoutThroughAnotherSession(p);

      ByteArrayOutputStream captured = new ByteArrayOutputStream();
      PrintStream originalErr = System.err;
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      KeyAccessDeniedException first;
      try {
        first = assertThrows(KeyAccessDeniedException.class, () -> p.unwrap(w));
      } finally {
        System.setErr(originalErr);
      }
      String log = captured.toString(StandardCharsets.UTF_8);
      assertTrue(log.contains("cmk.pkcs11.pin-refused") && log.contains("error=CKR_PIN_INCORRECT"),
          "the refusal was logged as an event with key-value pairs: " + log);
      assertFalse(log.contains(wrong) || log.contains(token.userPin()), "a PIN in the log");
      assertEquals(KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED, first.reason());
      assertTrue(first.getMessage().contains("CKR_PIN_INCORRECT"), first.getMessage());
      assertNoPin(first, wrong, token.userPin());
      assertEquals(1, c.loginAttempts(), "one C_Login with the wrong PIN");
      for (int i = 0; i < 5; i++) {
        KeyAccessDeniedException again =
            assertThrows(KeyAccessDeniedException.class, () -> p.unwrap(w));
        assertEquals(KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED, again.reason());
        assertTrue(again.getMessage().contains("not trying it again"), again.getMessage());
        assertNoPin(again, wrong, token.userPin());
        assertThrows(KeyAccessDeniedException.class, () -> p.describe(k));
      }
      assertEquals(1, c.loginAttempts(), "the refused PIN is not tried again during the back-off");

      clock.advance(TokenConnection.FIRST_LOGIN_BACKOFF.plusSeconds(1));
      assertThrows(KeyAccessDeniedException.class, () -> p.unwrap(w));
      assertEquals(2, c.loginAttempts(), "tried once more after the back-off");
      assertThrows(KeyAccessDeniedException.class, () -> p.unwrap(w));
      assertEquals(2, c.loginAttempts(), "and latched again");

      pin.set(token.userPin());
      assertEquals(SecretBytes.copyOf(new byte[32]), p.unwrap(w), "a changed PIN is tried at once");
      assertEquals(3, c.loginAttempts());
    }
  }

  @Test
  void build_pinFromFile_logsIn() throws Exception {
    Path pinFile = Files.writeString(dir.resolve("pin"), token.userPin() + "\n");
    try (Pkcs11KeyProvider p = token.providerWithoutPin().pin(SecretSource.ofFile(pinFile)).build()) {
      assertEquals(token.label(), p.tokenLabel());
      KeyReference k = p.manager().createKey("from-pin-file", 2048);
      assertTrue(p.manager().listKeys().contains(k.versionless()), "a logged-in session sees it");
      assertThrows(
          KeyNotFoundException.class,
          () -> p.manager().listVersions(p.manager().keyReference("nothing-here")));
    }
  }

  @Test
  void build_pinFileMissing_configurationErrorNamingFile() {
    Path missing = dir.resolve("absent-pin");
    IllegalStateException e = buildRefused(token.providerWithoutPin().pin(SecretSource.ofFile(missing)));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void build_pinLongerThan256Characters_refusedBeforeLoginNamingThePinNotItsValue() {
    String tooLong = "7".repeat(Pkcs11KeyProviderBuilder.MAX_PIN_LENGTH + 1);
    IllegalStateException e =
        buildRefused(token.providerWithoutPin().pin(SecretSource.ofCallback(tooLong::toCharArray)));
    assertTrue(
        e.getMessage().contains("PKCS#11 PIN from callback is empty or longer than 256"),
        e.getMessage());
    assertFalse(e.getMessage().contains(tooLong));
  }

  @Test
  void build_unknownTokenLabel_configurationErrorNamingLabel() {
    IllegalStateException e = buildRefused(
            Pkcs11KeyProvider.builder()
                .library(SoftHsm.library())
                .pin(token.pin())
                .tokenLabel("no-such-token"));
    assertTrue(e.getMessage().contains("no-such-token"), e.getMessage());
  }

  @Test
  void build_tokenSelectedBySerial_sameToken() {
    try (Pkcs11KeyProvider byLabel = token.provider().build()) {
      String serial = byLabel.connection().tokenSerial();
      try (Pkcs11KeyProvider bySerial =
          Pkcs11KeyProvider.builder()
              .library(SoftHsm.library())
              .tokenSerial(serial)
              .pin(token.pin())
              .build()) {
        assertEquals(token.label(), bySerial.tokenLabel());
        KeyReference k = byLabel.manager().createKey("by-serial", 2048);
        assertTrue(bySerial.serves(KeyReference.parse(k + ";serial=" + serial)));
        assertEquals(k, bySerial.describe(k).reference());
      }
    }
  }

  @Test
  void factory_settingsWithPinFile_buildsWorkingProvider() throws Exception {
    Path pinFile = Files.writeString(dir.resolve("pin"), token.userPin());
    Map<String, String> settings =
        Map.of(
            "library", SoftHsm.library().toString(),
            "token", token.label(),
            "pin-file", pinFile.toString(),
            "oaep-fallback", "native-oaep-sha1",
            "max-sessions", "2");
    try (KeyEncryptionKeyProvider p =
        ProviderDiscovery.discover(SoftHsmLoginIT.class.getClassLoader()).get("pkcs11").create(settings)) {
      assertEquals("pkcs11", p.id());
      Pkcs11KeyProvider pkcs11 = (Pkcs11KeyProvider) p;
      KeyReference k = pkcs11.manager().createKey("from-factory", 2048);
      assertEquals(
          dev.cmk.api.WrapAlgorithm.RSA_OAEP_SHA1,
          p.wrap(k, dev.cmk.api.SecretBytes.copyOf(new byte[32])).algorithm());
    }
  }
}
