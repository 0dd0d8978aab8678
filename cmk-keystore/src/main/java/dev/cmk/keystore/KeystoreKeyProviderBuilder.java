package dev.cmk.keystore;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.spi.SecretSource;
import dev.cmk.keystore.internal.KeystoreFile;
import dev.cmk.keystore.internal.KeystoreMetadata;
import dev.cmk.keystore.internal.KeystoreStore;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Configures a {@link KeystoreKeyProvider}; obtained from {@link KeystoreKeyProvider#builder()}.
 * Required: {@link #path} and one password source ({@link #password(SecretSource)}, {@link
 * #password(Supplier)}, {@link #passwordFile} or {@link #passwordEnvironment}). Each setting may be
 * set once (a second call is an {@link IllegalStateException}); setters reject null with the
 * parameter's name.
 *
 * <p><b>Thread safety:</b> not thread-safe; use from one thread, then share the provider.
 */
public final class KeystoreKeyProviderBuilder {
  private static final String PASSWORD_NAME = "keystore password";

  private @Nullable KeystoreFile file;
  private @Nullable SecretSource password;
  private @Nullable Clock clock;
  private @Nullable SecureRandom random;
  private @Nullable Boolean create;
  private @Nullable Integer retentionDays;
  private @Nullable Boolean purgeProtection;

  KeystoreKeyProviderBuilder() {}

  /**
   * The keystore file (PKCS#12). Required.
   *
   * @param path the file
   * @return this builder
   * @throws NullPointerException if {@code path} is null
   * @throws IllegalStateException if already set
   */
  public KeystoreKeyProviderBuilder path(Path path) {
    Objects.requireNonNull(path, "path");
    once(file, "path");
    this.file = new KeystoreFile(path);
    return this;
  }

  /**
   * The password comes from {@code source} (file, environment variable or callback), read each
   * time the file is opened or written and wiped after use; messages call it "keystore password".
   * One password source is required.
   *
   * @param source the source
   * @return this builder
   * @throws NullPointerException if {@code source} is null
   * @throws IllegalStateException if a password source is already set
   */
  public KeystoreKeyProviderBuilder password(SecretSource source) {
    Objects.requireNonNull(source, "source");
    once(this.password, "password source");
    this.password = source.named(PASSWORD_NAME);
    return this;
  }

  /**
   * The password comes from a callback (a secrets manager, a prompt), called each time the file is
   * opened or written; it must return a fresh array, which is wiped after use.
   *
   * @param password returns the password
   * @return this builder
   * @throws NullPointerException if {@code password} is null
   * @throws IllegalStateException if a password source is already set
   */
  public KeystoreKeyProviderBuilder password(Supplier<char[]> password) {
    Objects.requireNonNull(password, "password");
    return password(SecretSource.ofCallback(password));
  }

  /**
   * The password is the UTF-8 content of a file (without one trailing line break), read each time
   * the keystore is opened or written. Keep it readable by the service account only.
   *
   * @param passwordFile the file
   * @return this builder
   * @throws NullPointerException if {@code passwordFile} is null
   * @throws IllegalStateException if a password source is already set
   */
  public KeystoreKeyProviderBuilder passwordFile(Path passwordFile) {
    Objects.requireNonNull(passwordFile, "passwordFile");
    return password(SecretSource.ofFile(passwordFile));
  }

  /**
   * The password is the value of an environment variable.
   *
   * @param variable the variable's name, e.g. {@code CMK_KEYSTORE_PASSWORD}
   * @return this builder
   * @throws NullPointerException if {@code variable} is null
   * @throws IllegalArgumentException if {@code variable} is empty or contains {@code =}
   * @throws IllegalStateException if a password source is already set
   */
  public KeystoreKeyProviderBuilder passwordEnvironment(String variable) {
    Objects.requireNonNull(variable, "variable");
    return password(SecretSource.ofEnvironment(variable));
  }

  /**
   * The clock for validity windows, creation and deletion times and retention. Default: system
   * UTC.
   *
   * @param clock the clock
   * @return this builder
   * @throws NullPointerException if {@code clock} is null
   * @throws IllegalStateException if already set
   */
  public KeystoreKeyProviderBuilder clock(Clock clock) {
    Objects.requireNonNull(clock, "clock");
    once(this.clock, "clock");
    this.clock = clock;
    return this;
  }

  /**
   * The randomness for key generation, versions and RSA-OAEP. Default: a new {@link
   * SecureRandom}.
   *
   * @param random the source
   * @return this builder
   * @throws NullPointerException if {@code random} is null
   * @throws IllegalStateException if already set
   */
  public KeystoreKeyProviderBuilder random(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    once(this.random, "random");
    this.random = random;
    return this;
  }

  /**
   * Whether {@link #build()} creates an empty keystore when the file does not exist. Default:
   * false (a missing file is a configuration error).
   *
   * @param create whether to create
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public KeystoreKeyProviderBuilder create(boolean create) {
    once(this.create, "create");
    this.create = create;
    return this;
  }

  /**
   * Soft-delete retention, in days, of a keystore this builder creates (7&ndash;90, default 90).
   * An existing keystore keeps the retention it was created with, like a vault's setting.
   *
   * @param days retention
   * @return this builder
   * @throws IllegalArgumentException if outside 7&ndash;90
   * @throws IllegalStateException if already set
   */
  public KeystoreKeyProviderBuilder retentionDays(int days) {
    if (days < 7 || days > 90) {
      throw new IllegalArgumentException("retentionDays must be 7-90, found " + days);
    }
    once(this.retentionDays, "retentionDays");
    this.retentionDays = days;
    return this;
  }

  /**
   * Creates the keystore (if this builder creates it) without purge protection: deleted keys can
   * then be purged at once, and the FHIR and DICOM key-policy presets reject its keys. An existing
   * keystore keeps the setting it was created with.
   *
   * @return this builder
   * @throws IllegalStateException if already set
   */
  public KeystoreKeyProviderBuilder withoutPurgeProtection() {
    once(this.purgeProtection, "purge protection");
    this.purgeProtection = false;
    return this;
  }

  /**
   * Opens (and with {@link #create(boolean) create(true)} creates) the keystore and verifies the
   * password.
   *
   * @return the provider
   * @throws IllegalStateException if the path or password source is missing, or the file does not
   *     exist and {@code create} is not set, or the password source cannot be read
   * @throws KeyAccessDeniedException ({@code IDENTITY_NOT_AUTHORIZED}) if the password is wrong or
   *     the file fails its integrity check
   * @throws KeyProviderUnavailableException if the file cannot be read or created, or is not a cmk
   *     keystore
   */
  public KeystoreKeyProvider build() {
    if (file == null) {
      throw new IllegalStateException("path is required");
    }
    if (password == null) {
      throw new IllegalStateException(
          "a password source is required: password, passwordFile or passwordEnvironment");
    }
    Clock c = clock == null ? Clock.systemUTC() : clock;
    SecureRandom r = random == null ? new SecureRandom() : random;
    Optional<KeystoreMetadata> createAs =
        Boolean.TRUE.equals(create)
            ? Optional.of(
                KeystoreMetadata.empty(
                    purgeProtection == null || purgeProtection,
                    retentionDays == null
                        ? KeystoreKeyProvider.DEFAULT_RETENTION_DAYS
                        : retentionDays))
            : Optional.empty();
    return new KeystoreKeyProvider(KeystoreStore.open(file, password, c, r, createAs), r);
  }

  private static void once(@Nullable Object current, String what) {
    if (current != null) {
      throw new IllegalStateException(what + " is already set");
    }
  }
}
