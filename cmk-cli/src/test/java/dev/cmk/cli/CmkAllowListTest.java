package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's allow-list without a server: PKCS#11 tokens (proven by the environment variables the
 * tool looks up: the library and the PIN are never asked for), the precedence of options over
 * environment, per-file refusals in {@code rewrap}, and {@code inspect} on any envelope. The Key
 * Vault side, with a loopback vault counting requests, is {@link CmkVaultAllowListIT}.
 */
class CmkAllowListTest {
  private static final String FOREIGN_VAULT = "https://evil.vault.azure.net";
  private static final String FOREIGN_AZURE_KEY =
      FOREIGN_VAULT + "/keys/stolen/0123456789abcdef0123456789abcdef";
  private static final String FOREIGN_TOKEN_KEY = "pkcs11:token=other-tenant;object=kek;id=v1";

  @TempDir Path dir;

  /** A fixture whose Azure provider must never be configured. */
  private CliFixture cli(AtomicInteger azureBuilt) {
    CliFixture cli = new CliFixture(dir);
    cli.factoryOverrides.put("azure-keyvault", CliFixture.factory("azure-keyvault", settings -> {
      azureBuilt.incrementAndGet();
      throw new AssertionError("the Azure provider must not be built");
    }));
    return cli;
  }

  @Test
  void decrypt_pkcs11TokenNotAllowed_exit3WithoutLibraryOrPin() {
    CliFixture cli = cli(new AtomicInteger());
    cli.env.put("CMK_PKCS11_LIBRARY", dir.resolve("no-such-libsofthsm2.so").toString());
    cli.env.put("CMK_PKCS11_PIN", "246810");
    cli.env.put("CMK_PKCS11_TOKENS", "cmk");
    byte[] envelope = Envelopes.naming("pkcs11", FOREIGN_TOKEN_KEY);

    CliFixture.Result r = cli.runWithInput(envelope, "decrypt");

    assertEquals(ExitCode.KEY_ACCESS, r.exitCode(), r.toString());
    assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
    assertAll(
        () -> assertTrue(r.stderr().contains("PKCS#11 token 'other-tenant', which is not an allowed"
            + " token (allowed: cmk)"), r.stderr()),
        () -> assertTrue(r.stderr().contains("no PIN was used"), r.stderr()),
        () -> assertTrue(r.stderr().contains("--pkcs11-token other-tenant"), r.stderr()),
        () -> assertFalse(r.stderr().contains("246810"), r.stderr()),
        () -> assertEquals(0, r.stdout().length),
        () -> assertFalse(cli.lookedUp.contains("CMK_PKCS11_PIN"), "PIN looked up: " + cli.lookedUp),
        () -> assertFalse(cli.lookedUp.contains("CMK_PKCS11_LIBRARY"), "library looked up: " + cli.lookedUp));
  }

  @Test
  void decrypt_pkcs11TokenAllowedByOption_goesOnToTheLibrary() {
    // The control for the test above: once the token is allowed, the tool does look up the library
    // (and fails loading it, exit 4), so the lookups observed there would have shown up.
    CliFixture cli = cli(new AtomicInteger());
    cli.env.put("CMK_PKCS11_LIBRARY", dir.resolve("no-such-libsofthsm2.so").toString());
    cli.env.put("CMK_PKCS11_PIN", "246810");
    byte[] envelope = Envelopes.naming("pkcs11", FOREIGN_TOKEN_KEY);

    CliFixture.Result r =
        cli.runWithInput(envelope, "decrypt", "--pkcs11-token", "other-tenant");

    assertNotEquals(ExitCode.KEY_ACCESS, r.exitCode(), r.toString());
    assertNotEquals(ExitCode.OK, r.exitCode(), r.toString());
    assertTrue(cli.lookedUp.contains("CMK_PKCS11_LIBRARY"), cli.lookedUp.toString());
    assertFalse(r.stderr().contains("246810"), r.stderr());
  }

  @Test
  void decrypt_azureVaultNotAllowed_exit3WithoutBuildingTheAzureProvider() {
    AtomicInteger azureBuilt = new AtomicInteger();
    CliFixture cli = cli(azureBuilt);
    cli.env.put("CMK_VAULTS", "https://contoso-cmk.vault.azure.net");
    byte[] envelope = Envelopes.naming("azure-keyvault", FOREIGN_AZURE_KEY);

    CliFixture.Result r = cli.runWithInput(envelope, "decrypt");
    CliFixture.Result none = cli.runWithInput(envelope, "decrypt", "--vault", "https://other.vault.azure.net");
    cli.env.remove("CMK_VAULTS");
    CliFixture.Result empty = cli.runWithInput(envelope, "decrypt");

    assertAll(
        () -> assertEquals(ExitCode.KEY_ACCESS, r.exitCode(), r.toString()),
        () -> assertTrue(r.stderr().startsWith("cmk: key " + FOREIGN_AZURE_KEY + " is in "
            + FOREIGN_VAULT + ", which is not an allowed vault (allowed:"
            + " https://contoso-cmk.vault.azure.net); nothing was contacted."), r.stderr()),
        () -> assertTrue(r.stderr().contains("--vault " + FOREIGN_VAULT), r.stderr()),
        () -> assertEquals(ExitCode.KEY_ACCESS, none.exitCode(), none.toString()),
        () -> assertTrue(none.stderr().contains("(allowed: https://other.vault.azure.net)"),
            "--vault replaces $CMK_VAULTS: " + none.stderr()),
        () -> assertEquals(ExitCode.KEY_ACCESS, empty.exitCode(), empty.toString()),
        () -> assertTrue(empty.stderr().contains("not an allowed vault (none allowed)"), empty.stderr()),
        () -> assertEquals(0, azureBuilt.get(), "Azure provider configured"));
  }

  @Test
  void inspect_envelopesNamingAnyVaultOrToken_printHeaderWithoutAllowList() {
    AtomicInteger azureBuilt = new AtomicInteger();
    CliFixture cli = cli(azureBuilt);
    cli.env.put("CMK_PKCS11_PIN", "246810");
    for (String[] named : List.of(
        new String[] {"azure-keyvault", FOREIGN_AZURE_KEY},
        new String[] {"pkcs11", FOREIGN_TOKEN_KEY})) {
      CliFixture.Result r = cli.runWithInput(Envelopes.naming(named[0], named[1]), "inspect");
      assertEquals(ExitCode.OK, r.exitCode(), r.toString());
      assertTrue(r.out().contains("key reference   " + named[1]), r.out());
      assertTrue(r.out().contains("key provider    " + named[0]), r.out());
    }
    assertEquals(0, azureBuilt.get());
    assertFalse(cli.lookedUp.contains("CMK_PKCS11_PIN"), cli.lookedUp.toString());
  }

  @Test
  void rewrap_envelopeInVaultNotAllowed_failsThatFileAloneExit3() throws IOException {
    AtomicInteger azureBuilt = new AtomicInteger();
    CliFixture cli = cli(azureBuilt);
    String v1 = cli.createKey("archive", 2048);
    Path tree = dir.resolve("store");
    Files.createDirectories(tree);
    Path own = tree.resolve("a.cmk");
    Path forged = tree.resolve("b.cmk");
    assertEquals(0, cli.runWithInput(new byte[100], "encrypt", "-k", "archive", "-o", own.toString())
        .exitCode());
    byte[] forgedBytes = Envelopes.naming("azure-keyvault", FOREIGN_AZURE_KEY);
    Files.write(forged, forgedBytes);
    cli.run("keys", "rotate", "archive");

    CliFixture.Result r = cli.run("rewrap", "-k", "archive", tree.toString());

    String summary = r.out();
    assertAll(
        () -> assertEquals(ExitCode.KEY_ACCESS, r.exitCode(), r.toString()),
        () -> assertTrue(summary.matches("(?s).*  envelopes +2\n.*"), summary),
        () -> assertTrue(summary.matches("(?s).*  re-wrapped +1  \\(from " + v1 + ": 1\\)\n.*"), summary),
        () -> assertTrue(summary.matches("(?s).*  failed +1\n.*"), summary),
        () -> assertTrue(r.stderr().contains("cmk: failed: " + forged + ": key " + FOREIGN_AZURE_KEY
            + " is in " + FOREIGN_VAULT + ", which is not an allowed vault"), r.stderr()),
        () -> assertArrayEquals(forgedBytes, Files.readAllBytes(forged)),
        () -> assertEquals(0, azureBuilt.get()));
  }

  @Test
  void allowList_optionsReplaceEnvironment_commandKeyAlwaysAdded_onlyIgnoresBoth() {
    Map<String, String> env = new HashMap<>();
    env.put("CMK_VAULTS", " https://Alpha.vault.azure.net/ , https://bravo.vault.azure.net/keys/k ,");
    env.put("CMK_PKCS11_TOKENS", "hsm1,hsm2");
    Context ctx = new Context(
        java.io.InputStream.nullInputStream(), System.out, System.err, env::get, false, true);
    KeyReference key = KeyReference.parse("https://charlie.vault.azure.net/keys/kek");

    KeyAllowList fromEnv = KeyAllowList.of(new AllowOptions(), ctx, Optional.of(key));
    KeyAllowList onlyKey = KeyAllowList.only(key);
    AllowOptions options = new AllowOptions();
    options.vaults = List.of("https://delta.managedhsm.azure.net");
    options.tokens = List.of("hsm3");
    KeyAllowList fromOptions = KeyAllowList.of(options, ctx, Optional.empty());

    assertAll(
        () -> assertEquals(
            Set.of("https://alpha.vault.azure.net", "https://bravo.vault.azure.net", "https://charlie.vault.azure.net"),
            fromEnv.vaults()),
        () -> assertEquals(Set.of("hsm1", "hsm2"), fromEnv.tokens()),
        () -> assertEquals(Set.of("https://charlie.vault.azure.net"), onlyKey.vaults()),
        () -> assertEquals(Set.of(), onlyKey.tokens()),
        () -> assertEquals(Set.of("https://delta.managedhsm.azure.net"), fromOptions.vaults()),
        () -> assertEquals(Set.of("hsm3"), fromOptions.tokens()),
        () -> assertTrue(fromEnv.allows(KeyReference.parse("local:any/1"))),
        () -> assertFalse(fromOptions.allows(KeyReference.parse("pkcs11:token=hsm1;object=k;id=1"))),
        () -> assertTrue(fromOptions.allows(KeyReference.parse(
            "https://delta.managedhsm.azure.net/keys/k/0123456789abcdef0123456789abcdef"))));
  }

  @Test
  void decrypt_malformedVaultOption_usageError() {
    CliFixture cli = new CliFixture(dir);
    CliFixture.Result r = cli.runWithInput(
        Envelopes.naming("azure-keyvault", FOREIGN_AZURE_KEY), "decrypt", "--vault", "http://x.vault.azure.net");
    assertEquals(ExitCode.USAGE, r.exitCode(), r.toString());
    assertTrue(r.stderr().contains("https://"), r.stderr());
    assertThrows(CliException.class, () -> KeyAllowList.normalizeVault("https://example.com"));
  }

  @Test
  void decrypt_anyVaultWildcard_usageErrorAsTheProviderFactoryRefusesIt() {
    CliFixture cli = new CliFixture(dir);
    for (String wildcard : new String[] {"*", "https://*.vault.azure.net"}) {
      CliFixture.Result r = cli.runWithInput(
          Envelopes.naming("azure-keyvault", FOREIGN_AZURE_KEY), "decrypt", "--vault", wildcard);
      assertEquals(ExitCode.USAGE, r.exitCode(), r.toString());
      assertTrue(r.stderr().contains("vaults=* is refused"), r.stderr());
    }
  }
}
