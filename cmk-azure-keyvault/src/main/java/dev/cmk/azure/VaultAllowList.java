package dev.cmk.azure;

import dev.cmk.api.KeyReference;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The allow-list of Key Vaults and Managed HSMs an {@link AzureKeyVaultProvider} may call, as
 * text: the {@code vaults} setting of the provider factory ({@code azure-keyvault}), and what
 * tools that build that setting (a CLI's {@code --vault}, a service's configuration) should check
 * with the same rule before they pass it on.
 *
 * <p><b>Security guarantees.</b> The text form never means "any vault": {@code *}, alone or
 * anywhere in the list, is refused. An envelope names its key's vault; a provider allowed any vault
 * would call (and present its token to) whatever vault a stored envelope names, so a tampered row
 * could send the service's managed-identity token to an attacker's vault. Code that really wants
 * that says so with {@link AzureKeyVaultProviderBuilder#allowAnyVault()}.
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class VaultAllowList {
  private VaultAllowList() {}

  /**
   * Parses a comma-separated list of vault URLs (blanks around entries and empty entries
   * ignored), each reduced to its vault as {@link #normalize} does, duplicates dropped.
   *
   * @param setting e.g. {@code https://contoso-cmk.vault.azure.net,https://contoso.managedhsm.azure.net}
   * @return the vault URLs in order, at least one
   * @throws NullPointerException if {@code setting} is null
   * @throws IllegalArgumentException if an entry is {@code *} or contains {@code *} (the message
   *     starts with {@code "vaults=* is refused"}), is not a Key Vault or Managed HSM URL, or the
   *     list is empty
   */
  public static List<String> parse(String setting) {
    Objects.requireNonNull(setting, "setting");
    Set<String> vaults = new LinkedHashSet<>();
    for (String entry : setting.split(",", -1)) {
      String v = entry.trim();
      if (v.contains("*")) {
        throw new IllegalArgumentException(
            "vaults=* is refused: a provider allowed any vault would call, and present its token"
                + " to, any vault a stored envelope names; list the vaults instead (comma-separated"
                + " https://{vault}.vault.azure.net URLs)");
      }
      if (!v.isEmpty()) {
        vaults.add(normalize(v));
      }
    }
    if (vaults.isEmpty()) {
      throw new IllegalArgumentException("the vault allow-list is empty: list at least one vault URL");
    }
    return List.copyOf(vaults);
  }

  /**
   * A vault URL as the provider compares it ({@link KeyReference#vaultUrl()}): scheme and host in
   * lower case, the port kept, a key URL reduced to its vault.
   *
   * @param vaultUrl e.g. {@code https://Contoso-CMK.vault.azure.net/} or a key URL in it
   * @return e.g. {@code https://contoso-cmk.vault.azure.net}
   * @throws NullPointerException if {@code vaultUrl} is null
   * @throws IllegalArgumentException if it is not a Key Vault or Managed HSM URL
   */
  public static String normalize(String vaultUrl) {
    Objects.requireNonNull(vaultUrl, "vaultUrl");
    URI uri;
    try {
      uri = URI.create(vaultUrl.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a vault URL: " + vaultUrl, e);
    }
    String authority = uri.getRawAuthority();
    if (!"https".equalsIgnoreCase(uri.getScheme()) || authority == null) {
      throw new IllegalArgumentException("a vault URL must be https://{vault-host}: " + vaultUrl);
    }
    KeyReference probe = KeyReference.parse("https://" + authority + "/keys/probe");
    return probe.vaultUrl().orElseThrow();
  }
}
