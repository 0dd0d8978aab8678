package dev.cmk.softhsm;

import dev.cmk.api.spi.SecretSource;
import dev.cmk.softhsm.internal.TokenConnection;
import dev.cmk.softhsm.internal.TokenSelector;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Configures a {@link Pkcs11KeyProvider} ({@link Pkcs11KeyProvider#builder()}). Required: {@link
 * #library(Path)}, exactly one of {@link #tokenLabel(String)}, {@link #tokenSerial(String)} and
 * {@link #slotId(long)}, and {@link #pin(SecretSource)}.
 *
 * <p>Every setting may be set once: setting it again is an {@link IllegalStateException}, so that a
 * configuration read from several places cannot silently override itself. Setters check their
 * argument at once (null &rarr; {@link NullPointerException}, out of range &rarr; {@link
 * IllegalArgumentException}, naming the parameter); {@link #build()} checks the combination.
 *
 * <p><b>Thread safety:</b> not thread-safe; build on one thread. The built provider is immutable.
 */
public final class Pkcs11KeyProviderBuilder {
  /** Longest PIN accepted from the {@link SecretSource}, in characters. */
  public static final int MAX_PIN_LENGTH = 256;

  private @Nullable Path library;
  private @Nullable String tokenLabel;
  private @Nullable String tokenSerial;
  private @Nullable Long slotId;
  private @Nullable SecretSource pin;
  private @Nullable OaepFallback oaepFallback;
  private @Nullable Integer maxSessions;
  private @Nullable Duration sessionAcquireTimeout;
  private @Nullable Duration keyStateCacheTtl;
  private @Nullable Clock clock;

  Pkcs11KeyProviderBuilder() {}

  private static void once(@Nullable Object current, String setting) {
    if (current != null) {
      throw new IllegalStateException(setting + " is already set");
    }
  }

  /**
   * The PKCS#11 library, e.g. {@code /usr/lib/softhsm/libsofthsm2.so}, {@code
   * /usr/safenet/lunaclient/lib/libCryptoki2_64.so}. Required.
   *
   * @param library path of the shared library
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public Pkcs11KeyProviderBuilder library(Path library) {
    Objects.requireNonNull(library, "library");
    once(this.library, "library");
    this.library = library;
    return this;
  }

  /**
   * Selects the token by label ({@code CKA_LABEL} of the token, the {@code token} attribute of key
   * references).
   *
   * @param tokenLabel 1&ndash;32 characters
   * @return this builder
   * @throws IllegalArgumentException if empty or longer than 32 characters
   * @throws IllegalStateException if already set
   */
  public Pkcs11KeyProviderBuilder tokenLabel(String tokenLabel) {
    Objects.requireNonNull(tokenLabel, "tokenLabel");
    if (tokenLabel.isEmpty() || tokenLabel.length() > 32) {
      throw new IllegalArgumentException("tokenLabel must be 1-32 characters");
    }
    once(this.tokenLabel, "tokenLabel");
    this.tokenLabel = tokenLabel;
    return this;
  }

  /**
   * Selects the token by serial number (use when several tokens share a label).
   *
   * @param tokenSerial the serial number as the token reports it, 1&ndash;16 characters
   * @return this builder
   * @throws IllegalArgumentException if empty or longer than 16 characters
   * @throws IllegalStateException if already set
   */
  public Pkcs11KeyProviderBuilder tokenSerial(String tokenSerial) {
    Objects.requireNonNull(tokenSerial, "tokenSerial");
    if (tokenSerial.isEmpty() || tokenSerial.length() > 16) {
      throw new IllegalArgumentException("tokenSerial must be 1-16 characters");
    }
    once(this.tokenSerial, "tokenSerial");
    this.tokenSerial = tokenSerial;
    return this;
  }

  /**
   * Selects the token by slot id (not stable on SoftHSM, which reassigns ids).
   *
   * @param slotId the slot id, not negative
   * @return this builder
   * @throws IllegalArgumentException if negative
   * @throws IllegalStateException if already set
   */
  public Pkcs11KeyProviderBuilder slotId(long slotId) {
    if (slotId < 0) {
      throw new IllegalArgumentException("slotId must not be negative");
    }
    once(this.slotId, "slotId");
    this.slotId = slotId;
    return this;
  }

  /**
   * Where the user PIN comes from (a file, an environment variable or a callback), read at the
   * first login and again at every re-login. Required. It is named "PKCS#11 PIN" in messages and
   * limited to {@value #MAX_PIN_LENGTH} characters.
   *
   * @param pin the source
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public Pkcs11KeyProviderBuilder pin(SecretSource pin) {
    Objects.requireNonNull(pin, "pin");
    once(this.pin, "pin");
    this.pin = pin.named("PKCS#11 PIN").limitedTo(MAX_PIN_LENGTH);
    return this;
  }

  /**
   * What to do when the token lacks native RSA-OAEP-256 (default {@link
   * OaepFallback#RAW_RSA_WITH_SOFTWARE_OAEP}).
   *
   * @param oaepFallback the fallback
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public Pkcs11KeyProviderBuilder oaepFallback(OaepFallback oaepFallback) {
    Objects.requireNonNull(oaepFallback, "oaepFallback");
    once(this.oaepFallback, "oaepFallback");
    this.oaepFallback = oaepFallback;
    return this;
  }

  /**
   * Largest number of pooled sessions, i.e. of concurrent token operations (default: the number of
   * processors, at least 2).
   *
   * @param maxSessions 1&ndash;1024
   * @return this builder
   * @throws IllegalArgumentException if out of range
   * @throws IllegalStateException if already set
   */
  public Pkcs11KeyProviderBuilder maxSessions(int maxSessions) {
    if (maxSessions < 1 || maxSessions > 1024) {
      throw new IllegalArgumentException("maxSessions must be 1-1024");
    }
    once(this.maxSessions, "maxSessions");
    this.maxSessions = maxSessions;
    return this;
  }

  /**
   * How long a call waits for a free session before failing with {@link
   * dev.cmk.api.KeyProviderUnavailableException} (default 10 seconds).
   *
   * @param timeout positive
   * @return this builder
   * @throws IllegalArgumentException if not positive
   * @throws IllegalStateException if already set
   */
  public Pkcs11KeyProviderBuilder sessionAcquireTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive");
    }
    once(this.sessionAcquireTimeout, "sessionAcquireTimeout");
    this.sessionAcquireTimeout = timeout;
    return this;
  }

  /**
   * How long wrap trusts the enabled state it last read for a version (default 5 seconds; zero
   * re-reads it on every wrap). Unwrap is not affected: the token checks every unwrap.
   *
   * @param ttl not negative
   * @return this builder
   * @throws IllegalArgumentException if negative
   * @throws IllegalStateException if already set
   */
  public Pkcs11KeyProviderBuilder keyStateCacheTtl(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative()) {
      throw new IllegalArgumentException("ttl must not be negative");
    }
    once(this.keyStateCacheTtl, "keyStateCacheTtl");
    this.keyStateCacheTtl = ttl;
    return this;
  }

  /**
   * The clock for the key state cache and for the back-off after the token refused the PIN at a
   * re-login (default the system clock).
   *
   * @param clock the clock
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public Pkcs11KeyProviderBuilder clock(Clock clock) {
    Objects.requireNonNull(clock, "clock");
    once(this.clock, "clock");
    this.clock = clock;
    return this;
  }

  /**
   * Loads the library, finds the token, opens a session and logs in.
   *
   * @return the provider; close it when done
   * @throws IllegalStateException if a required setting is missing or contradictory, or on a
   *     configuration error: library missing or not loadable, no or several matching tokens, PIN
   *     unreadable, wrong, locked or expired. The message and causes never contain the PIN.
   */
  public Pkcs11KeyProvider build() {
    if (library == null) {
      throw new IllegalStateException("library is required");
    }
    if (pin == null) {
      throw new IllegalStateException("pin is required");
    }
    Clock clockOrDefault = clock != null ? clock : Clock.systemUTC();
    TokenSelector selector = new TokenSelector(tokenLabel, tokenSerial, slotId);
    TokenConnection connection =
        TokenConnection.open(
            library,
            selector,
            pin,
            maxSessions != null
                ? maxSessions
                : Math.max(2, Runtime.getRuntime().availableProcessors()),
            sessionAcquireTimeout != null ? sessionAcquireTimeout : Duration.ofSeconds(10),
            clockOrDefault);
    return new Pkcs11KeyProvider(
        connection,
        oaepFallback != null ? oaepFallback : OaepFallback.RAW_RSA_WITH_SOFTWARE_OAEP,
        keyStateCacheTtl != null ? keyStateCacheTtl : Duration.ofSeconds(5),
        clockOrDefault);
  }
}
