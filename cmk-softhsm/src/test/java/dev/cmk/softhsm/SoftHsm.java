package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKU_SO;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.SecretSource;
import dev.cmk.softhsm.internal.Pkcs11Library;
import dev.cmk.softhsm.internal.TokenConnection;
import dev.cmk.testkit.SoftHsmToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11Module;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Slot;

/**
 * Throw-away SoftHSM2 tokens for the integration tests. The build sets {@code SOFTHSM2_CONF} (the
 * library reads it when loaded) to a path under {@code target/}; {@link #createToken} writes that
 * configuration once per JVM with a fresh token directory, then initializes a new token through
 * PKCS#11 ({@code C_InitToken}, {@code C_InitPIN}) with a unique label and random PINs. No test
 * depends on another's token. Without SoftHSM2 the tests are skipped, or fail when {@code CI=true}.
 */
final class SoftHsm {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static boolean configured;

  private SoftHsm() {}

  /**
   * A token made for one test class.
   *
   * @param label the token label
   * @param userPin the user PIN
   */
  record TestToken(String label, String userPin) {
    /** A callback PIN source for the user PIN. */
    SecretSource pin() {
      return SecretSource.ofCallback(userPin::toCharArray);
    }

    /** A builder with the library and this token's label, but no PIN yet (builders are set-once). */
    Pkcs11KeyProviderBuilder providerWithoutPin() {
      return Pkcs11KeyProvider.builder().library(library()).tokenLabel(label);
    }

    /** A builder for a provider on this token. */
    Pkcs11KeyProviderBuilder provider() {
      return Pkcs11KeyProvider.builder().library(library()).tokenLabel(label).pin(pin());
    }

    @Override
    public String toString() {
      return "TestToken[" + label + "]";
    }
  }

  static void unavailable(String why) {
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + " (CI=true: SoftHSM2 is required)");
    }
    Assumptions.abort(why);
  }

  static Path library() {
    return SoftHsmToken.library();
  }

  /**
   * Removes the token directories of earlier runs, then has cmk-testkit's {@link SoftHsmToken}
   * write the configuration with a fresh one (once per JVM).
   */
  private static synchronized void configure() {
    if (configured) {
      return;
    }
    String conf = System.getenv("SOFTHSM2_CONF");
    if (conf != null && !conf.isEmpty()) {
      Path base = Path.of(conf).toAbsolutePath().getParent();
      try {
        Files.createDirectories(base);
        try (Stream<Path> old = Files.list(base)) {
          for (Path p : (Iterable<Path>) old.filter(p -> p.getFileName().toString().startsWith("tokens-"))::iterator) {
            deleteRecursively(p);
          }
        }
      } catch (IOException e) {
        throw new AssertionError("cannot remove old SoftHSM2 token directories in " + base, e);
      }
    }
    SoftHsmToken.configure();
    configured = true;
  }

  private static void deleteRecursively(Path p) throws IOException {
    try (Stream<Path> all = Files.walk(p)) {
      for (Path q : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(q);
      }
    }
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** Initializes a fresh token whose label starts with {@code prefix}. */
  static synchronized TestToken createToken(String prefix) {
    configure();
    Path lib = library();
    String label = prefix + "-" + randomHex(4);
    String soPin = randomHex(8);
    String userPin = randomHex(8);
    Pkcs11Library library = Pkcs11Library.acquire(lib);
    try {
      PKCS11Module module = library.module();
      Slot free = null;
      for (Slot slot : module.getSlotList(true)) {
        if (!slot.getToken().getTokenInfo().isTokenInitialized()) {
          free = slot;
          break;
        }
      }
      if (free == null) {
        fail("SoftHSM2 offers no uninitialized slot");
      }
      // CK_TOKEN_INFO labels are 32 characters padded with blanks; the native wrapper copies 32.
      char[] paddedLabel = String.format("%-32s", label).toCharArray();
      module.getPKCS11Module().C_InitToken(free.getSlotID(), soPin.toCharArray(), paddedLabel, true);
      Slot slot = null;
      for (Slot s : module.getSlotList(true)) {
        if (s.getToken().getTokenInfo().getLabel().trim().equals(label)) {
          slot = s;
        }
      }
      if (slot == null) {
        StringBuilder seen = new StringBuilder();
        for (Slot s : module.getSlotList(false)) {
          seen.append(s.getSlotID()).append("='").append(s.getToken().getTokenInfo().getLabel()).append("' ");
        }
        fail("the new token " + label + " is not listed; slots: " + seen + " (initialized slot " + free.getSlotID() + ")");
      }
      Session so = slot.getToken().openSession(true);
      try {
        so.login(CKU_SO, soPin.toCharArray());
        so.initPIN(userPin.toCharArray());
        so.logout();
      } finally {
        so.closeSession();
      }
    } catch (PKCS11Exception | iaik.pkcs.pkcs11.wrapper.PKCS11Exception e) {
      throw new AssertionError("cannot initialize a SoftHSM2 token", e);
    } finally {
      library.release();
    }
    return new TestToken(label, userPin);
  }

  /** Work with a raw session, for checks the provider API does not offer. */
  interface RawWork<T> {
    T apply(Session session) throws PKCS11Exception;
  }

  /** Runs {@code work} with a read-write session of {@code provider}'s connection. */
  static <T> T withSession(Pkcs11KeyProvider provider, RawWork<T> work) {
    TokenConnection c = provider.connection();
    return c.callReadWrite("test", null, work::apply);
  }

  /**
   * Logs the application out of {@code provider}'s token through a session of its own ({@code
   * C_Logout}), as another PKCS#11 user in the process (e.g. SunPKCS11) or an HSM ending the login
   * would: the provider's pooled sessions stay open but become public sessions.
   */
  static void logoutThroughAnotherSession(Pkcs11KeyProvider provider) {
    TokenConnection c = provider.connection();
    try {
      for (Slot slot : c.library().module().getSlotList(true)) {
        if (slot.getSlotID() == c.slotId()) {
          Session other = slot.getToken().openSession(false);
          try {
            other.logout();
          } finally {
            other.closeSession();
          }
          return;
        }
      }
    } catch (PKCS11Exception e) {
      throw new AssertionError("C_Logout through another session failed", e);
    }
    throw new AssertionError("slot " + c.slotId() + " not found");
  }

  /**
   * Imports a software RSA key pair as a key version (private key sensitive and not extractable
   * from now on), so that tests can decrypt in software what the provider wrapped.
   */
  static KeyReference importKeyPair(
      Pkcs11KeyProvider provider, String name, String version, RSAPrivateCrtKey key) {
    return importKeyPair(provider, name, version, key, true);
  }

  /**
   * As {@link #importKeyPair(Pkcs11KeyProvider, String, String, RSAPrivateCrtKey)}; with {@code
   * protect} false the private key is imported not sensitive and extractable.
   */
  static KeyReference importKeyPair(
      Pkcs11KeyProvider provider,
      String name,
      String version,
      RSAPrivateCrtKey key,
      boolean protect) {
    byte[] id = version.getBytes(StandardCharsets.US_ASCII);
    withSession(
        provider,
        s -> {
          s.createObject(
              crtPrivateKey(key)
                  .token(true)
                  .private_(true)
                  .sensitive(protect)
                  .extractable(!protect)
                  .label(name)
                  .id(id)
                  .decrypt(true)
                  .unwrap(true)
                  .sign(false));
          s.createObject(
              publicKeyTemplate(name, id)
                  .modulus(key.getModulus())
                  .publicExponent(key.getPublicExponent()));
          return null;
        });
    return provider.manager().keyReference(name).withVersion(version);
  }

  /**
   * Runs {@link KeyTool} in a second JVM (a second process with its own PKCS#11 library instance
   * and login) against the same token, and waits for it.
   */
  /**
   * A token public-key template labelled {@code label} with {@code id}, permitting encrypt and
   * wrap; callers add the key material.
   */
  static AttributeVector publicKeyTemplate(String label, byte[] id) {
    return AttributeVector.newRSAPublicKey()
        .token(true)
        .private_(false)
        .label(label)
        .id(id)
        .encrypt(true)
        .wrap(true);
  }

  /**
   * A private-key template holding every CRT component of {@code key}, for importing a key the
   * test made outside the token; callers add the other attributes.
   */
  static AttributeVector crtPrivateKey(RSAPrivateCrtKey key) {
    return AttributeVector.newRSAPrivateKey()
        .modulus(key.getModulus())
        .publicExponent(key.getPublicExponent())
        .privateExponent(key.getPrivateExponent())
        .prime1(key.getPrimeP())
        .prime2(key.getPrimeQ())
        .exponent1(key.getPrimeExponentP())
        .exponent2(key.getPrimeExponentQ())
        .coefficient(key.getCrtCoefficient());
  }

  static void inSecondProcess(TestToken token, String action, KeyReference reference) {
    String classpath = System.getProperty("cmk.softhsm.childClasspath");
    if (classpath == null || classpath.isEmpty()) {
      unavailable("cmk.softhsm.childClasspath is not set; run the integration tests through Maven");
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb =
        new ProcessBuilder(
            List.of(
                java.toString(),
                "-cp",
                classpath,
                KeyTool.class.getName(),
                library().toString(),
                token.label(),
                action,
                reference.toString()));
    pb.environment().put(KeyTool.PIN_VARIABLE, token.userPin());
    pb.redirectErrorStream(true);
    try {
      Process p = pb.start();
      byte[] output = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("the second process did not finish");
      }
      assertEquals(
          0, p.exitValue(), "second process output:\n" + new String(output, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError("cannot start a second JVM", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
