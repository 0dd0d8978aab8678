package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.StoredDataKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Format 2 through the tool: {@code encrypt}/{@code decrypt} with {@code --data-key-store} on an
 * embedded H2 database file (a real {@code JdbcDataKeyStore} over the H2 driver, as users run
 * it) and the keystore provider; {@code records census|rewrap|remove-wrappings} across a key
 * rotation; the allow-list applied to a record's wrappings; no store secret in any output.
 * PostgreSQL: {@link CmkRecordsPostgresIT}; Azure Blob Storage on Azurite: {@link
 * CmkRecordsBlobIT}.
 */
class CmkRecordsTest {
  static final String FOREIGN_VAULT = "https://evil.vault.azure.net";
  static final String FOREIGN_AZURE_KEY =
      FOREIGN_VAULT + "/keys/stolen/0123456789abcdef0123456789abcdef";

  @TempDir Path dir;

  private String h2() {
    return "jdbc:h2:file:" + dir.resolve("records").toAbsolutePath() + ";WRITE_DELAY=0";
  }

  /** The store the tool opens for {@code spec}, opened the same way for the test's own checks. */
  static DataKeyStore store(String spec, Map<String, String> env) {
    DataKeyStoreOptions o = new DataKeyStoreOptions();
    o.store = spec;
    PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    Context ctx = new Context(InputStream.nullInputStream(), sink, sink, env::get, false, false);
    return DataKeyStores.require(o, ctx, null, false).store();
  }

  private static CliFixture.Result ok(CliFixture.Result r) {
    assertEquals(0, r.exitCode(), r.toString());
    return r;
  }

  // ------------------------------------------------------------------- encrypt / decrypt

  @Test
  void encryptDecrypt_h2Store_formatTwoRoundTrip() {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("kek", 2048);
    byte[] plaintext = "{\"resourceType\":\"Observation\"}".getBytes(StandardCharsets.UTF_8);

    byte[] envelope = ok(cli.runWithInput(plaintext, "encrypt", "-k", "local:kek",
        "--aad", "Observation/7", "--data-key-store", h2())).stdout();
    CliFixture.Result dec = ok(cli.runWithInput(envelope, "decrypt", "--aad", "Observation/7",
        "--data-key-store", h2()));

    EnvelopeInfo info = EnvelopeInfo.of(envelope);
    assertAll(
        () -> assertEquals(2, info.formatVersion()),
        () -> assertEquals(64, envelope.length - plaintext.length, "v2 one-segment overhead"),
        () -> assertTrue(store(h2(), cli.env).read(info.dataKeyId().orElseThrow()).isPresent()),
        () -> assertArrayEquals(plaintext, dec.stdout()));
  }

  @Test
  void decrypt_formatTwoWithoutStore_exit7NamingTheOption() {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("kek", 2048);
    byte[] envelope = ok(cli.runWithInput(new byte[10], "encrypt", "-k", "kek",
        "--data-key-store", h2())).stdout();

    CliFixture.Result r = cli.runWithInput(envelope, "decrypt");

    assertAll(
        () -> assertEquals(ExitCode.INVALID_CIPHERTEXT, r.exitCode(), r.toString()),
        () -> assertTrue(r.stderr().contains("format 2"), r.stderr()),
        () -> assertTrue(r.stderr().contains("--data-key-store"), r.stderr()),
        () -> assertEquals(0, r.stdout().length));
  }

  @Test
  void decrypt_formatOneWithStoreGiven_stillWorks() {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("kek", 2048);
    byte[] envelope = ok(cli.runWithInput(new byte[] {1, 2, 3}, "encrypt", "-k", "kek")).stdout();

    CliFixture.Result r = ok(cli.runWithInput(envelope, "decrypt", "--data-key-store", h2()));

    assertArrayEquals(new byte[] {1, 2, 3}, r.stdout());
    assertFalse(Files.exists(dir.resolve("records.mv.db")), "a v1 decrypt never opens the store");
  }

  // ------------------------------------------------------------------- allow-list

  /** A fixture whose Azure provider must never be built. */
  private CliFixture withoutAzure(AtomicInteger azureBuilt) {
    CliFixture cli = new CliFixture(dir);
    cli.factoryOverrides.put("azure-keyvault", CliFixture.factory("azure-keyvault", settings -> {
      azureBuilt.incrementAndGet();
      throw new AssertionError("the Azure provider must not be built");
    }));
    return cli;
  }

  /** Replaces the wrappings of {@code envelope}'s record (a store writer can). */
  private void setWrappings(CliFixture cli, byte[] envelope, boolean keepOwn) {
    setWrappings(cli, envelope, keepOwn, true);
  }

  /** As above, the foreign wrapping first or last. */
  private void setWrappings(CliFixture cli, byte[] envelope, boolean keepOwn,
      boolean foreignFirst) {
    DataKeyStore store = store(h2(), cli.env);
    DataKeyId id = EnvelopeInfo.of(envelope).dataKeyId().orElseThrow();
    StoredDataKey stored = store.read(id).orElseThrow();
    List<WrappedKey> next = new ArrayList<>();
    if (keepOwn) {
      next.addAll(stored.record().wrappings());
    }
    next.add(foreignFirst ? 0 : next.size(), new WrappedKey("azure-keyvault",
        KeyReference.parse(FOREIGN_AZURE_KEY), WrapAlgorithm.RSA_OAEP_256, new byte[256]));
    assertTrue(store.replace(stored.revision(), stored.record().withWrappings(next)).isPresent());
  }

  @Test
  void decrypt_recordWrappedOnlyInVaultNotAllowed_exit3BeforeAnyProvider() {
    AtomicInteger azureBuilt = new AtomicInteger();
    CliFixture cli = withoutAzure(azureBuilt);
    cli.createKey("kek", 2048);
    byte[] envelope = ok(cli.runWithInput(new byte[10], "encrypt", "-k", "kek",
        "--data-key-store", h2())).stdout();
    setWrappings(cli, envelope, false);
    int discoveriesBefore = cli.discoveries.get();

    CliFixture.Result r = cli.runWithInput(envelope, "decrypt", "--data-key-store", h2());

    assertAll(
        () -> assertEquals(ExitCode.KEY_ACCESS, r.exitCode(), r.toString()),
        () -> assertTrue(r.stderr().contains("key " + FOREIGN_AZURE_KEY + " is in " + FOREIGN_VAULT
            + ", which is not an allowed vault (none allowed); nothing was contacted"), r.stderr()),
        () -> assertEquals(discoveriesBefore, cli.discoveries.get(), "no provider discovery"),
        () -> assertEquals(0, azureBuilt.get()),
        () -> assertEquals(0, r.stdout().length));
  }

  @Test
  void decrypt_recordWithForeignPrimaryAndOwnWrapping_readsWithTheAllowedOne() {
    AtomicInteger azureBuilt = new AtomicInteger();
    CliFixture cli = withoutAzure(azureBuilt);
    cli.createKey("kek", 2048);
    byte[] envelope = ok(cli.runWithInput(new byte[] {9, 8, 7}, "encrypt", "-k", "kek",
        "--data-key-store", h2())).stdout();
    setWrappings(cli, envelope, true);

    CliFixture.Result r = ok(cli.runWithInput(envelope, "decrypt", "--data-key-store", h2()));

    assertArrayEquals(new byte[] {9, 8, 7}, r.stdout());
    assertEquals(0, azureBuilt.get(), "the foreign vault's wrapping got no provider");
  }

  @Test
  void decrypt_ownWrappingFirstAndForeignVaultAllowed_onlyTheFirstAllowedGetsAProvider() {
    AtomicInteger azureBuilt = new AtomicInteger();
    CliFixture cli = withoutAzure(azureBuilt);
    cli.createKey("kek", 2048);
    byte[] envelope = ok(cli.runWithInput(new byte[] {4, 2}, "encrypt", "-k", "kek",
        "--data-key-store", h2())).stdout();
    setWrappings(cli, envelope, true, false);

    CliFixture.Result r = ok(cli.runWithInput(envelope, "decrypt", "--vault", FOREIGN_VAULT,
        "--data-key-store", h2()));

    assertArrayEquals(new byte[] {4, 2}, r.stdout());
    assertEquals(0, azureBuilt.get(), "the later, allowed wrapping's provider was not built");
  }

  // ------------------------------------------------------------------- records

  /** Five envelopes under one record, written through the library with the keystore provider. */
  private List<byte[]> sharedRecordEnvelopes(CliFixture cli) {
    KeyEncryptionKeyProvider keystore = cli.realFactory("keystore").create(Map.of(
        "path", cli.keystore.toString(), "password-env", "CMK_KEYSTORE_PASSWORD"));
    List<byte[]> out = new ArrayList<>();
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(keystore)
        .writeKey(KeyReference.parse("local:kek")).dataKeyStore(store(h2(), cli.env)).build()) {
      for (int i = 0; i < 5; i++) {
        out.add(crypto.encrypt(new byte[] {(byte) i}, new byte[0]));
      }
    } finally {
      keystore.close();
    }
    return out;
  }

  private static String censusRow(String census, String key) {
    return census.lines().filter(l -> l.strip().startsWith(key + " ")).findFirst()
        .orElseThrow(() -> new AssertionError(key + " not in:\n" + census)).strip();
  }

  @Test
  void records_rotationRewrapRemove_countsRecordsNotEnvelopesAndEnvelopesNeverChange()
      throws IOException {
    CliFixture cli = new CliFixture(dir);
    String v1 = cli.createKey("kek", 2048);
    Path files = Files.createDirectories(dir.resolve("files"));
    List<Path> envelopes = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Path f = files.resolve("cli-" + i + ".cmk");
      ok(cli.runWithInput(new byte[] {(byte) (10 + i)}, "encrypt", "-k", "kek", "-o",
          f.toString(), "--data-key-store", h2()));
      envelopes.add(f);
    }
    List<byte[]> shared = sharedRecordEnvelopes(cli);
    for (int i = 0; i < shared.size(); i++) {
      Path f = files.resolve("lib-" + i + ".cmk");
      Files.write(f, shared.get(i));
      envelopes.add(f);
    }
    List<byte[]> before = new ArrayList<>();
    for (Path f : envelopes) {
      before.add(Files.readAllBytes(f));
    }

    String census1 = ok(cli.run("records", "census", "--data-key-store", h2())).out();
    assertTrue(census1.startsWith("Data-key records in jdbc:h2:file:"), census1);
    assertTrue(census1.lines().findFirst().orElseThrow().endsWith(": 3"), census1);
    assertTrue(censusRow(census1, v1).matches(
        java.util.regex.Pattern.quote(v1) + " +keystore +3 +3 +3"), census1);

    String v2 = ok(cli.run("keys", "rotate", "kek")).out().strip();
    CliFixture.Result rewrap = ok(cli.run("records", "rewrap", "-k", "kek",
        "--data-key-store", h2()));
    Map<String, Object> census2 = Json.parse(ok(cli.run("records", "census", "--format", "json",
        "--data-key-store", h2())));
    CliFixture.Result again = ok(cli.run("records", "rewrap", "-k", "kek", "--format", "json",
        "--data-key-store", h2()));
    CliFixture.Result fileRewrap = ok(cli.run("rewrap", "-k", "kek", files.toString()));

    assertAll(
        () -> assertTrue(rewrap.out().matches("(?s).*  records +3\n.*"), rewrap.out()),
        () -> assertTrue(rewrap.out().matches(
            "(?s).*  re-wrapped +3  \\(from " + v1 + ": 3\\)\n.*"), rewrap.out()),
        () -> assertEquals(3L, Json.integer(census2.get("records"))),
        () -> assertEquals(2, Json.array(census2.get("versions")).size()),
        () -> assertEquals(List.of(v2, 3L, 0L, 3L), use(census2, v2)),
        () -> assertEquals(List.of(v1, 3L, 0L, 0L), use(census2, v1)),
        () -> assertEquals(0L, Json.integer(Json.parse(again).get("rewrapped"))),
        () -> assertEquals(3L, Json.integer(Json.parse(again).get("alreadyCurrent"))),
        () -> assertTrue(fileRewrap.out().matches("(?s).*  already current +7  \\(7 of format 2.*"),
            fileRewrap.out()),
        () -> assertTrue(fileRewrap.stderr().contains("cmk records rewrap"), fileRewrap.stderr()));

    CliFixture.Result removed = ok(cli.run("records", "remove-wrappings", "--key", v1,
        "--data-key-store", h2()));
    assertTrue(removed.out().matches("(?s).*  changed +3  \\(wrapping removed\\)\n.*"),
        removed.out());
    ok(cli.run("keys", "disable", v1));
    String census3 = ok(cli.run("records", "census", "--data-key-store", h2())).out();
    assertTrue(censusRow(census3, v2).matches(
        java.util.regex.Pattern.quote(v2) + " +keystore +3 +3 +3"), census3);
    assertFalse(census3.contains(v1), census3);
    for (int i = 0; i < envelopes.size(); i++) {
      assertArrayEquals(before.get(i), Files.readAllBytes(envelopes.get(i)),
          "envelope unchanged: " + envelopes.get(i));
      CliFixture.Result dec = ok(cli.run("decrypt", "--data-key-store", h2(),
          envelopes.get(i).toString()));
      assertEquals(1, dec.stdout().length);
    }
  }

  private static List<Object> use(Map<String, Object> census, String key) {
    for (Object o : Json.array(census.get("versions"))) {
      Map<String, Object> v = Json.object(o);
      if (Json.string(v.get("key")).equals(key)) {
        assertEquals("keystore", Json.string(v.get("providerId")));
        return List.of(key, Json.integer(v.get("records")), Json.integer(v.get("onlyWrapping")),
            Json.integer(v.get("preferred")));
      }
    }
    throw new AssertionError(key + " not in " + census);
  }

  @Test
  void removeWrappings_recordWrappedUnderThatKeyAlone_exit2AndRecordKept() {
    CliFixture cli = new CliFixture(dir);
    String v1 = cli.createKey("kek", 2048);
    byte[] envelope = ok(cli.runWithInput(new byte[] {5}, "encrypt", "-k", "kek",
        "--data-key-store", h2())).stdout();

    CliFixture.Result r = cli.run("records", "remove-wrappings", "-k", v1, "--format", "json",
        "--data-key-store", h2());

    Map<String, Object> report = Json.parse(r);
    assertAll(
        () -> assertEquals(ExitCode.USAGE, r.exitCode(), r.toString()),
        () -> assertEquals(1L, Json.integer(report.get("failed"))),
        () -> assertEquals(0L, Json.integer(report.get("changed"))),
        () -> assertTrue(r.stderr().contains("re-wrap it under another key first"), r.stderr()),
        () -> assertArrayEquals(new byte[] {5}, ok(cli.runWithInput(envelope, "decrypt",
            "--data-key-store", h2())).stdout()));
  }

  @Test
  void recordsRewrap_recordOnlyInVaultNotAllowed_failsThatRecordExit3WithoutContact() {
    AtomicInteger azureBuilt = new AtomicInteger();
    CliFixture cli = withoutAzure(azureBuilt);
    cli.createKey("kek", 2048);
    byte[] foreign = ok(cli.runWithInput(new byte[1], "encrypt", "-k", "kek",
        "--data-key-store", h2())).stdout();
    ok(cli.runWithInput(new byte[2], "encrypt", "-k", "kek", "--data-key-store", h2()));
    setWrappings(cli, foreign, false);
    cli.run("keys", "rotate", "kek");

    CliFixture.Result r = cli.run("records", "rewrap", "-k", "kek", "--format", "json",
        "--data-key-store", h2());

    Map<String, Object> report = Json.parse(r);
    assertAll(
        () -> assertEquals(ExitCode.KEY_ACCESS, r.exitCode(), r.toString()),
        () -> assertEquals(2L, Json.integer(report.get("records"))),
        () -> assertEquals(1L, Json.integer(report.get("rewrapped"))),
        () -> assertEquals(1L, Json.integer(report.get("failed"))),
        () -> assertEquals(List.of(FOREIGN_AZURE_KEY), Json.array(report.get("notAllowed"))),
        () -> assertTrue(r.stderr().contains("which is not an allowed vault"), r.stderr()),
        () -> assertEquals(0, azureBuilt.get()));
  }

  @Test
  void recordsRewrap_stderrTerminal_showsRecordCountsNeverRecordContents() {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("kek", 2048);
    for (int i = 0; i < 3; i++) {
      ok(cli.runWithInput(new byte[] {(byte) i}, "encrypt", "-k", "kek", "--data-key-store",
          h2()));
    }
    cli.run("keys", "rotate", "kek");
    cli.stderrTerminal = true;
    dev.cmk.testkit.ManualClock manual = dev.cmk.testkit.ManualClock.create();
    cli.clock = new java.time.Clock() { // 400 ms later at every reading
      @Override
      public java.time.ZoneId getZone() {
        return java.time.ZoneOffset.UTC;
      }

      @Override
      public java.time.Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public java.time.Instant instant() {
        return manual.advance(java.time.Duration.ofMillis(400));
      }
    };

    CliFixture.Result r = ok(cli.run("records", "rewrap", "-k", "kek", "--data-key-store",
        h2()));

    String last = r.stderr().substring(r.stderr().lastIndexOf('\r') + 1);
    assertTrue(last.matches("records rewrap  3/3 records  [0-9.]+/s  ETA 0:00\u001b\\[K\n"),
        r.stderr());
    assertFalse(r.stderr().contains("local:kek"), "no key or record in the progress line");
  }

  // ------------------------------------------------------------------- secrets

  @Test
  void storePassword_fromEnvironment_neverInAnyOutput() {
    String password = "Db-Pa55word-never-printed";
    CliFixture cli = new CliFixture(dir);
    cli.createKey("kek", 2048);
    cli.env.put("CMK_DATA_KEY_STORE_PASSWORD", password);
    String url = h2();
    List<CliFixture.Result> runs = new ArrayList<>();

    CliFixture.Result enc = cli.runWithInput(new byte[] {42}, "encrypt", "-k", "kek",
        "--data-key-store", url, "--data-key-store-user", "cmk");
    runs.add(enc);
    runs.add(cli.runWithInput(enc.stdout(), "decrypt", "--verbose", "--data-key-store", url,
        "--data-key-store-user", "cmk"));
    runs.add(cli.run("records", "census", "--data-key-store", url, "--data-key-store-user",
        "cmk"));
    cli.env.put("CMK_DATA_KEY_STORE_PASSWORD", password + "-wrong");
    CliFixture.Result wrong = cli.run("records", "census", "--verbose", "--data-key-store", url,
        "--data-key-store-user", "cmk");
    runs.add(wrong);
    CliFixture.Result onCommandLine = cli.run("records", "census", "--data-key-store", url,
        "--data-key-store-password", password);
    runs.add(onCommandLine);
    CliFixture.Result inUrl = cli.run("records", "census", "--data-key-store",
        url + ";USER=cmk;PASSWORD=" + password);
    runs.add(inUrl);

    assertAll(
        () -> assertEquals(0, runs.get(0).exitCode(), runs.get(0).toString()),
        () -> assertArrayEquals(new byte[] {42}, runs.get(1).stdout(), runs.get(1).toString()),
        () -> assertTrue(runs.get(2).out().contains(": 1"), runs.get(2).toString()),
        () -> assertEquals(ExitCode.PROVIDER_UNAVAILABLE, wrong.exitCode(), wrong.toString()),
        () -> assertEquals(ExitCode.USAGE, onCommandLine.exitCode(), onCommandLine.toString()),
        () -> assertEquals(ExitCode.USAGE, inUrl.exitCode(), inUrl.toString()),
        () -> assertTrue(inUrl.stderr().contains("must not carry a password"), inUrl.stderr()));
    for (CliFixture.Result r : runs) {
      assertFalse(r.out().contains("Pa55word") || r.stderr().contains("Pa55word"), r.toString());
    }
  }
}
