package dev.cmk.softhsm.internal;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_CRYPTOKI_ALREADY_INITIALIZED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_INCORRECT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_USER_ALREADY_LOGGED_IN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKU_USER;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11Module;
import org.xipki.pkcs11.wrapper.Session;
import org.slf4j.LoggerFactory;

/**
 * One loaded PKCS#11 library per process, shared by every provider, key manager and test that uses
 * it. PKCS#11 state is per process: {@code C_Initialize} may run once, {@code C_Finalize} ends every
 * session of every user, and a login is shared by all sessions of the application on that token.
 * So the library is initialized when its first user {@linkplain #acquire acquires} it and finalized
 * when the last one {@linkplain #release releases} it (unless something else in the process had
 * already initialized it, in which case it is left alone).
 *
 * <p>Logins are shared the same way: the first user logs in; a later user on the same token is
 * accepted only if its PIN equals the one that logged in (compared as HMACs under a random
 * per-process key, in constant time), so a second provider configured with a wrong PIN fails as it
 * would alone instead of riding on the first one's login.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
public final class Pkcs11Library {
  /** Libraries by real path; never removed, since the native module stays linked. */
  private static final Map<Path, Pkcs11Library> LIBRARIES = new HashMap<>();

  private static final byte[] PIN_MAC_KEY = new byte[32];

  static {
    new SecureRandom().nextBytes(PIN_MAC_KEY);
  }

  private final Path path;
  private final PKCS11Module module;
  private int references; // guarded by Pkcs11Library.class
  private boolean initializedHere; // guarded by Pkcs11Library.class
  private final Map<Long, SlotLogin> logins = new HashMap<>(); // guarded by this

  private static final class SlotLogin {
    final byte[] pinMac;
    int users;

    SlotLogin(byte[] pinMac) {
      this.pinMac = pinMac;
    }
  }

  private Pkcs11Library(Path path, PKCS11Module module) {
    this.path = path;
    this.module = module;
  }

  /**
   * Loads (once per process) and initializes (when no one else holds it) a PKCS#11 library.
   *
   * @param library path of the library, e.g. {@code /usr/lib/softhsm/libsofthsm2.so}
   * @return the library; call {@link #release()} when done
   * @throws IllegalStateException if the file does not exist or cannot be loaded, or {@code
   *     C_Initialize} fails
   */
  public static Pkcs11Library acquire(Path library) {
    Path real;
    try {
      real = library.toRealPath();
    } catch (IOException e) {
      throw new IllegalStateException(
          "PKCS#11 library " + library + " does not exist or cannot be read", e);
    }
    synchronized (Pkcs11Library.class) {
      Pkcs11Library lib = LIBRARIES.get(real);
      if (lib == null) {
        LogBridge.install();
        PKCS11Module module;
        try {
          module = PKCS11Module.getInstance(real.toString());
        } catch (IOException | UnsatisfiedLinkError e) {
          throw new IllegalStateException("PKCS#11 library " + real + " cannot be loaded", e);
        }
        lib = new Pkcs11Library(real, module);
        LIBRARIES.put(real, lib);
      }
      if (lib.references == 0) {
        lib.initialize();
      }
      lib.references++;
      return lib;
    }
  }

  private void initialize() {
    try {
      module.initialize();
      initializedHere = true;
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        throw new IllegalStateException(
            "C_Initialize of PKCS#11 library " + path + " failed: " + Pkcs11Errors.name(e.getErrorCode()),
            e);
      }
      initializedHere = false;
    }
  }

  /** Gives the library back; the last user's release finalizes it. Idempotent per user. */
  public void release() {
    synchronized (Pkcs11Library.class) {
      if (references == 0) {
        return;
      }
      references--;
      if (references == 0) {
        synchronized (this) {
          logins.clear();
        }
        if (initializedHere) {
          initializedHere = false;
          try {
            module.finalize(null);
          } catch (PKCS11Exception e) {
            LoggerFactory.getLogger(Pkcs11Library.class)
                .atDebug()
                .setMessage("cmk.pkcs11.finalize-failed")
                .addKeyValue("library", path)
                .addKeyValue("error", Pkcs11Errors.name(e.getErrorCode()))
                .log();
          }
        }
      }
    }
  }

  /** The wrapper's module object. */
  public PKCS11Module module() {
    return module;
  }

  /** The library's real path. */
  public Path path() {
    return path;
  }

  /**
   * Registers a user of the token in {@code slotId} and makes sure {@code session}'s application
   * is logged in as the normal user. The first user logs in with {@code pin}; later users must
   * present the same PIN.
   *
   * @throws PKCS11Exception as {@code C_Login} fails, or {@code CKR_PIN_INCORRECT} if {@code pin}
   *     differs from the PIN the token was logged in with in this process
   */
  public void register(long slotId, Session session, char[] pin) throws PKCS11Exception {
    byte[] mac = pinMac(pin);
    synchronized (this) {
      SlotLogin login = logins.get(slotId);
      if (login != null && !MessageDigest.isEqual(login.pinMac, mac)) {
        throw new PKCS11Exception(CKR_PIN_INCORRECT);
      }
      login(session, pin);
      if (login == null) {
        login = new SlotLogin(mac);
        logins.put(slotId, login);
      }
      login.users++;
    }
  }

  /** Ends the registration made by {@link #register}. */
  public synchronized void unregister(long slotId) {
    SlotLogin login = logins.get(slotId);
    if (login != null && --login.users <= 0) {
      logins.remove(slotId);
    }
  }

  /**
   * Logs the application in as the normal user through {@code session}; an existing login (from
   * another session) counts as success.
   */
  public static void login(Session session, char[] pin) throws PKCS11Exception {
    try {
      session.login(CKU_USER, pin);
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() != CKR_USER_ALREADY_LOGGED_IN) {
        throw e;
      }
    }
  }

  /** HMAC-SHA-256 of the PIN under a random per-process key (never the PIN itself). */
  static byte[] pinMac(char[] pin) {
    ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(pin));
    byte[] bytes = new byte[encoded.remaining()];
    encoded.get(bytes);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(PIN_MAC_KEY, "HmacSHA256"));
      return mac.doFinal(bytes);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    } finally {
      Arrays.fill(bytes, (byte) 0);
      if (encoded.hasArray()) {
        Arrays.fill(encoded.array(), (byte) 0);
      }
    }
  }
}
