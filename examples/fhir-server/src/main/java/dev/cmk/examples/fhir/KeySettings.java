package dev.cmk.examples.fhir;

import dev.cmk.api.KeyReference;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * The server's customer-managed-key settings, named like the Azure Health Data Services FHIR
 * service's: the key URL ({@code keyEncryptionKeyUrl}, versioned to pin one version or versionless
 * to follow rotation) and the managed identity used to reach it. The URL's scheme picks the key
 * provider: {@code https://} is Azure Key Vault or Managed HSM, {@code local:} a PKCS#12 keystore
 * file (development and on-premises), which then needs {@link #keystore()} and a password source.
 *
 * <p>Settings hold no secrets: the keystore password is named by a file or an environment
 * variable, never given inline.
 *
 * @param keyEncryptionKeyUrl the key, e.g. {@code https://contoso.vault.azure.net/keys/fhir-cmk}
 *     or {@code local:fhir-cmk}
 * @param identityType which managed identity reaches an Azure key (ignored for {@code local:})
 * @param userAssignedClientId client id of the user-assigned identity; set exactly when {@code
 *     identityType} is {@link IdentityType#USER_ASSIGNED}
 * @param keystore the PKCS#12 keystore file for {@code local:} keys, or {@code null}
 * @param keystorePasswordFile file holding the keystore password, or {@code null}
 * @param keystorePasswordEnvironment environment variable holding the keystore password, or {@code
 *     null}
 */
public record KeySettings(
    KeyReference keyEncryptionKeyUrl,
    IdentityType identityType,
    String userAssignedClientId,
    Path keystore,
    Path keystorePasswordFile,
    String keystorePasswordEnvironment) {

  /** Property names accepted by {@link #fromProperties}. */
  public static final Set<String> PROPERTY_NAMES =
      Set.of(
          "keyEncryptionKeyUrl",
          "identity.type",
          "identity.userAssignedClientId",
          "keystore.path",
          "keystore.passwordFile",
          "keystore.passwordEnvironment");

  /** How the service authenticates to Azure Key Vault, as in the FHIR service's identity. */
  public enum IdentityType {
    /** The service's system-assigned managed identity ({@code SystemAssigned}). */
    SYSTEM_ASSIGNED,
    /** A user-assigned managed identity, named by its client id ({@code UserAssigned}). */
    USER_ASSIGNED;

    /**
     * Parses {@code SystemAssigned} / {@code UserAssigned} (Azure's spelling) or {@code
     * system-assigned} / {@code user-assigned}, ignoring case.
     *
     * @param text the text
     * @return the identity type
     * @throws IllegalArgumentException if it is neither
     */
    public static IdentityType parse(String text) {
      String t = Objects.requireNonNull(text, "text").trim().toLowerCase(Locale.ROOT).replace("-", "");
      switch (t) {
        case "systemassigned":
          return SYSTEM_ASSIGNED;
        case "userassigned":
          return USER_ASSIGNED;
        default:
          throw new IllegalArgumentException(
              "identity type must be SystemAssigned or UserAssigned, not '" + text + "'");
      }
    }
  }

  /** Validates the combination. */
  public KeySettings {
    Objects.requireNonNull(keyEncryptionKeyUrl, "keyEncryptionKeyUrl");
    Objects.requireNonNull(identityType, "identityType");
    if ((identityType == IdentityType.USER_ASSIGNED) != (userAssignedClientId != null)) {
      throw new IllegalArgumentException(
          "a user-assigned client id is required with, and only with, identity type UserAssigned");
    }
    switch (keyEncryptionKeyUrl.kind()) {
      case LOCAL:
        if (keystore == null) {
          throw new IllegalArgumentException("a local: key needs the keystore file");
        }
        if ((keystorePasswordFile == null) == (keystorePasswordEnvironment == null)) {
          throw new IllegalArgumentException(
              "a local: key needs exactly one keystore password source (file or environment"
                  + " variable)");
        }
        break;
      case AZURE_KEY_VAULT:
      case AZURE_MANAGED_HSM:
        break;
      default:
        throw new IllegalArgumentException(
            "this example serves https:// (Azure Key Vault, Managed HSM) and local: keys, not "
                + keyEncryptionKeyUrl.kind());
    }
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The keystore file, for {@code local:} keys. */
  public Optional<Path> keystoreFile() {
    return Optional.ofNullable(keystore);
  }

  /**
   * Reads settings from properties ({@link #PROPERTY_NAMES}); relative paths are resolved against
   * {@code baseDirectory}.
   *
   * @param properties the properties
   * @param baseDirectory where relative paths start
   * @return the settings
   * @throws IllegalArgumentException if a property is unknown, missing or invalid
   */
  public static KeySettings fromProperties(Properties properties, Path baseDirectory) {
    Objects.requireNonNull(properties, "properties");
    Objects.requireNonNull(baseDirectory, "baseDirectory");
    for (String name : properties.stringPropertyNames()) {
      if (!PROPERTY_NAMES.contains(name)) {
        throw new IllegalArgumentException("unknown key setting: " + name);
      }
    }
    Builder b = builder();
    String url = properties.getProperty("keyEncryptionKeyUrl");
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("keyEncryptionKeyUrl is required");
    }
    b.keyEncryptionKeyUrl(KeyReference.parse(url.trim()));
    String type = properties.getProperty("identity.type");
    if (type != null && !type.isBlank()) {
      b.identityType(IdentityType.parse(type));
    }
    String clientId = properties.getProperty("identity.userAssignedClientId");
    if (clientId != null && !clientId.isBlank()) {
      b.userAssignedClientId(clientId.trim());
    }
    String keystore = properties.getProperty("keystore.path");
    if (keystore != null && !keystore.isBlank()) {
      b.keystore(baseDirectory.resolve(keystore.trim()));
    }
    String passwordFile = properties.getProperty("keystore.passwordFile");
    if (passwordFile != null && !passwordFile.isBlank()) {
      b.keystorePasswordFile(baseDirectory.resolve(passwordFile.trim()));
    }
    String passwordEnv = properties.getProperty("keystore.passwordEnvironment");
    if (passwordEnv != null && !passwordEnv.isBlank()) {
      b.keystorePasswordEnvironment(passwordEnv.trim());
    }
    return b.build();
  }

  /**
   * Reads settings from a properties file (see {@link #fromProperties}); relative paths are
   * resolved against the file's directory.
   *
   * @param file the file
   * @return the settings
   * @throws UncheckedIOException if the file cannot be read
   * @throws IllegalArgumentException if a property is unknown, missing or invalid
   */
  public static KeySettings load(Path file) {
    Objects.requireNonNull(file, "file");
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read key settings " + file, e);
    }
    Path dir = file.toAbsolutePath().getParent();
    return fromProperties(p, dir);
  }

  /** Builds {@link KeySettings}; identity type defaults to system-assigned. Not thread-safe. */
  public static final class Builder {
    private KeyReference keyEncryptionKeyUrl;
    private IdentityType identityType;
    private String userAssignedClientId;
    private Path keystore;
    private Path keystorePasswordFile;
    private String keystorePasswordEnvironment;

    private Builder() {}

    /**
     * The key URL.
     *
     * @param key versioned (pinned) or versionless (follows rotation)
     * @return this builder
     */
    public Builder keyEncryptionKeyUrl(KeyReference key) {
      keyEncryptionKeyUrl = Objects.requireNonNull(key, "key");
      return this;
    }

    /**
     * The managed identity type (default system-assigned).
     *
     * @param type the type
     * @return this builder
     */
    public Builder identityType(IdentityType type) {
      identityType = Objects.requireNonNull(type, "type");
      return this;
    }

    /**
     * Uses the user-assigned managed identity with this client id.
     *
     * @param clientId the identity's client id
     * @return this builder
     */
    public Builder userAssignedClientId(String clientId) {
      userAssignedClientId = Objects.requireNonNull(clientId, "clientId");
      if (identityType == null) {
        identityType = IdentityType.USER_ASSIGNED;
      }
      return this;
    }

    /**
     * The PKCS#12 keystore file for {@code local:} keys.
     *
     * @param file the file
     * @return this builder
     */
    public Builder keystore(Path file) {
      keystore = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * A file holding the keystore password.
     *
     * @param file the file
     * @return this builder
     */
    public Builder keystorePasswordFile(Path file) {
      keystorePasswordFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * An environment variable holding the keystore password.
     *
     * @param variable the variable's name
     * @return this builder
     */
    public Builder keystorePasswordEnvironment(String variable) {
      keystorePasswordEnvironment = Objects.requireNonNull(variable, "variable");
      return this;
    }

    /**
     * Builds the settings.
     *
     * @return the settings
     * @throws IllegalStateException if the key URL is missing
     * @throws IllegalArgumentException if the combination is invalid (see {@link KeySettings})
     */
    public KeySettings build() {
      if (keyEncryptionKeyUrl == null) {
        throw new IllegalStateException("keyEncryptionKeyUrl is required");
      }
      return new KeySettings(
          keyEncryptionKeyUrl,
          identityType == null ? IdentityType.SYSTEM_ASSIGNED : identityType,
          userAssignedClientId,
          keystore,
          keystorePasswordFile,
          keystorePasswordEnvironment);
    }
  }
}
