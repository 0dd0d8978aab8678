package dev.cmk.cli;

import dev.cmk.api.KeyReference;
import dev.cmk.azure.VaultAllowList;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The Key Vaults, Managed HSMs and PKCS#11 tokens a command may use, all named by the user. An
 * envelope only <em>names</em> its key; it never decides where {@code cmk} sends a token or offers
 * a PIN.
 *
 * <p>For the commands that unwrap keys named by envelopes ({@code decrypt}, {@code rewrap}), the
 * entries come from, per kind (vaults and tokens independently):
 *
 * <ol>
 *   <li>{@code --vault URL} / {@code --pkcs11-token LABEL} (repeatable) when given; otherwise
 *       {@code $CMK_VAULTS} / {@code $CMK_PKCS11_TOKENS} (comma-separated). Options replace the
 *       environment variable, they do not add to it.
 *   <li>Always, in addition: the vault or token of the key the command names itself ({@code -k}
 *       of {@code rewrap}).
 * </ol>
 *
 * <p>The commands that use only the key they name ({@code encrypt -k}, {@code check-key KEY},
 * {@code status KEY}) allow exactly that key's vault or token ({@link #only}).
 *
 * <p>{@code local:} keys are always allowed: they can only live in the keystore the user
 * configured ({@code --keystore} / {@code $CMK_KEYSTORE}).
 *
 * <p><b>Security guarantees:</b> {@link #check} runs before any provider is built, so a key
 * outside the list fails with {@link ExitCode#KEY_ACCESS} before any network connection, token
 * request, PKCS#11 library load, login or PIN read.
 *
 * @param vaults allowed vault URLs, normalized as {@link KeyReference#vaultUrl()} spells them
 * @param tokens allowed PKCS#11 token labels
 */
record KeyAllowList(Set<String> vaults, Set<String> tokens) {
  /** Environment variable with the allowed vault URLs, comma-separated, when no --vault is given. */
  static final String ENV_VAULTS = "CMK_VAULTS";
  /** Environment variable with the allowed token labels, comma-separated, when no --pkcs11-token. */
  static final String ENV_PKCS11_TOKENS = "CMK_PKCS11_TOKENS";

  /** Copies, keeping the order the user gave (error messages list them in that order). */
  KeyAllowList {
    vaults = Collections.unmodifiableSet(new LinkedHashSet<>(vaults));
    tokens = Collections.unmodifiableSet(new LinkedHashSet<>(tokens));
  }

  /**
   * Exactly the vault or token of {@code key} (and {@code local:} keys): for the commands that use
   * only the key they name ({@code encrypt}, {@code check-key}, {@code status}, {@code keys}).
   */
  static KeyAllowList only(KeyReference key) {
    Set<String> tokens = new LinkedHashSet<>();
    if (key.kind() == KeyReference.Kind.PKCS11 && !key.authority().isEmpty()) {
      tokens.add(key.authority());
    }
    return new KeyAllowList(key.vaultUrl().map(Set::of).orElse(Set.of()), tokens);
  }

  /**
   * The allow-list of one command.
   *
   * @param options {@code --vault} and {@code --pkcs11-token}
   * @param ctx the environment
   * @param commandKey the key the command line names, if any
   * @throws CliException (usage) for a malformed vault URL or empty token label
   */
  static KeyAllowList of(AllowOptions options, Context ctx, Optional<KeyReference> commandKey) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(ctx, "ctx");
    Objects.requireNonNull(commandKey, "commandKey");
    List<String> vaultTexts =
        !options.vaults().isEmpty()
            ? options.vaults()
            : split(ctx.getenv(ENV_VAULTS));
    List<String> tokenTexts =
        !options.tokens().isEmpty()
            ? options.tokens()
            : split(ctx.getenv(ENV_PKCS11_TOKENS));
    Set<String> vaults = new LinkedHashSet<>();
    for (String v : vaultTexts) {
      vaults.add(normalizeVault(v));
    }
    Set<String> tokens = new LinkedHashSet<>();
    for (String t : tokenTexts) {
      if (t.isEmpty()) {
        throw new CliException(ExitCode.USAGE, "--pkcs11-token needs a token label");
      }
      tokens.add(t);
    }
    commandKey.ifPresent(
        k -> {
          k.vaultUrl().ifPresent(vaults::add);
          if (k.kind() == KeyReference.Kind.PKCS11 && !k.authority().isEmpty()) {
            tokens.add(k.authority());
          }
        });
    return new KeyAllowList(vaults, tokens);
  }

  /** Whether the user allowed the vault or token of {@code reference}. */
  boolean allows(KeyReference reference) {
    switch (reference.kind()) {
      case LOCAL:
        return true;
      case PKCS11:
        return tokens.contains(reference.authority());
      default:
        return vaults.contains(reference.vaultUrl().orElseThrow());
    }
  }

  /**
   * Fails unless the user allowed the vault or token of {@code reference}.
   *
   * @param reference a key named by an envelope
   * @throws CliException ({@link ExitCode#KEY_ACCESS}) naming the vault or token and the fix
   */
  void check(KeyReference reference) {
    if (allows(reference)) {
      return;
    }
    throw new CliException(ExitCode.KEY_ACCESS, refusal(reference));
  }

  /** The one-line reason {@code reference} is refused (nothing was contacted). */
  String refusal(KeyReference reference) {
    if (reference.kind() == KeyReference.Kind.PKCS11) {
      return "key " + reference + " is on PKCS#11 token '" + reference.authority()
          + "', which is not an allowed token " + describe(tokens)
          + "; nothing was opened and no PIN was used. If you trust this token, allow it with"
          + " --pkcs11-token " + reference.authority() + " (or $" + ENV_PKCS11_TOKENS + ")";
    }
    String vault = reference.vaultUrl().orElseThrow();
    return "key " + reference + " is in " + vault + ", which is not an allowed vault "
        + describe(vaults) + "; nothing was contacted. If you trust this vault, allow it with"
        + " --vault " + vault + " (or $" + ENV_VAULTS + ")";
  }

  private static String describe(Collection<String> allowed) {
    return allowed.isEmpty() ? "(none allowed)" : "(allowed: " + String.join(", ", allowed) + ")";
  }

  private static List<String> split(String text) {
    List<String> out = new ArrayList<>();
    if (text == null) {
      return out;
    }
    for (String part : text.split(",", -1)) {
      if (!part.isBlank()) {
        out.add(part.strip());
      }
    }
    return out;
  }

  /**
   * {@code https://host[:port]}, as {@link KeyReference#vaultUrl()} spells it; a key URL is
   * reduced to its vault. The Azure provider's own rule ({@link VaultAllowList}): no {@code *}.
   */
  static String normalizeVault(String text) {
    if (text.contains("*")) {
      try {
        VaultAllowList.parse(text);
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCode.USAGE, e.getMessage());
      }
    }
    try {
      return VaultAllowList.normalize(text);
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCode.USAGE, e.getMessage()
          + " (give a vault as https://{vault-host})");
    }
  }
}
