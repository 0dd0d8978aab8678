package dev.cmk.cli;

import java.util.List;
import picocli.CommandLine.Option;
import org.jspecify.annotations.Nullable;

/**
 * The vaults and PKCS#11 tokens the user allows a command that unwraps ({@code decrypt}, {@code
 * rewrap}) to use for the keys its envelopes name. See {@link KeyAllowList} for the precedence.
 */
final class AllowOptions {
  @Option(
      names = "--vault",
      paramLabel = "URL",
      description = "Allow this Key Vault or Managed HSM (https://NAME.vault.azure.net), repeatable;"
          + " replaces $" + KeyAllowList.ENV_VAULTS + ". Envelopes naming any other vault fail"
          + " (exit 3) before anything is contacted.")
  @Nullable List<String> vaults;

  @Option(
      names = "--pkcs11-token",
      paramLabel = "LABEL",
      description = "Allow this PKCS#11 token, repeatable; replaces $"
          + KeyAllowList.ENV_PKCS11_TOKENS + ". Envelopes naming any other token fail (exit 3)"
          + " before the library is loaded or a PIN read.")
  @Nullable List<String> tokens;

  /** The {@code --vault} values given (picocli leaves the field null when none was). */
  List<String> vaults() {
    return vaults == null ? List.of() : List.copyOf(vaults);
  }

  /** The {@code --pkcs11-token} values given. */
  List<String> tokens() {
    return tokens == null ? List.of() : List.copyOf(tokens);
  }
}
