package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.keystore.KeystoreKeyProvider;
import dev.cmk.testkit.FailingInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CmkCliTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;

  private CliFixture cli() {
    return new CliFixture(dir);
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static String field(String report, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " {2,}(.*)$").matcher(report);
    assertTrue(m.find(), "field '" + name + "' in:\n" + report);
    return m.group(1).strip();
  }

  // ------------------------------------------------------------------- round trips

  @Test
  void encryptInspectDecrypt_stdinStdout_roundTrip() {
    CliFixture cli = cli();
    String v1 = cli.createKey("patient-data", 2048);
    assertTrue(v1.startsWith("local:patient-data/"), v1);
    byte[] plaintext = randomBytes(200_000);

    CliFixture.Result enc =
        cli.runWithInput(plaintext, "encrypt", "--key", "local:patient-data", "--aad", "Patient/1/1", "-");
    assertEquals(0, enc.exitCode(), enc.toString());
    byte[] envelope = enc.stdout();
    assertTrue(envelope.length > plaintext.length);

    CliFixture.Result info = cli.runWithInput(envelope, "inspect", "-");
    assertEquals(0, info.exitCode(), info.toString());
    String report = info.out();
    assertAll(
        () -> assertEquals("1", field(report, "format version")),
        () -> assertEquals("keystore", field(report, "key provider")),
        () -> assertEquals("local:patient-data", field(report, "key")),
        () -> assertEquals(v1, field(report, "key reference")),
        () -> assertEquals(v1.substring(v1.indexOf('/') + 1), field(report, "key version")),
        () -> assertEquals("RSA-OAEP-256", field(report, "wrap algorithm")),
        () -> assertEquals("256 bytes", field(report, "wrapped key")),
        () -> assertEquals(envelope.length + " bytes", field(report, "envelope")),
        () -> assertEquals(plaintext.length + " bytes", field(report, "plaintext")),
        () -> assertEquals((envelope.length - plaintext.length) + " bytes", field(report, "overhead")));

    CliFixture.Result dec = cli.runWithInput(envelope, "decrypt", "--aad", "Patient/1/1");
    assertEquals(0, dec.exitCode(), dec.toString());
    assertArrayEquals(plaintext, dec.stdout());
  }

  @Test
  void encryptDecrypt_files_roundTripAndNoOverwriteWithoutForce() throws IOException {
    CliFixture cli = cli();
    cli.createKey("files", 2048);
    Path plain = dir.resolve("report.json");
    Files.writeString(plain, "{\"resourceType\":\"Patient\",\"id\":\"123\"}");
    Path aad = dir.resolve("aad.bin");
    Files.write(aad, new byte[] {1, 2, 3, 0, (byte) 0xff});
    Path env = dir.resolve("report.json.cmk");
    Path back = dir.resolve("report.back.json");

    CliFixture.Result enc =
        cli.run("encrypt", "-k", "files", "--aad-file", aad.toString(), "-o", env.toString(), plain.toString());
    assertEquals(0, enc.exitCode(), enc.toString());
    assertEquals(0, enc.stdout().length, "nothing on stdout when writing to a file");
    assertFalse(
        new String(Files.readAllBytes(env), StandardCharsets.ISO_8859_1).contains("Patient"),
        "no plaintext in the envelope");

    CliFixture.Result dec =
        cli.run("decrypt", "--aad-file", aad.toString(), "-o", back.toString(), env.toString());
    assertEquals(0, dec.exitCode(), dec.toString());
    assertEquals(Files.readString(plain), Files.readString(back));

    CliFixture.Result again =
        cli.run("decrypt", "--aad-file", aad.toString(), "-o", back.toString(), env.toString());
    assertEquals(ExitCode.IO, again.exitCode(), again.toString());
    assertTrue(again.stderr().contains("--force"), again.stderr());
    assertEquals(
        0,
        cli.run("decrypt", "--force", "--aad-file", aad.toString(), "-o", back.toString(), env.toString())
            .exitCode());
  }

  @Test
  void decrypt_wrongAad_exit2AndNoOutputFile() throws IOException {
    CliFixture cli = cli();
    cli.createKey("aad", 2048);
    Path env = dir.resolve("obs.cmk");
    assertEquals(
        0,
        cli.runWithInput("secret-observation".getBytes(StandardCharsets.UTF_8),
                "encrypt", "-k", "aad", "--aad", "Observation/7/1", "-o", env.toString())
            .exitCode());
    Path out = dir.resolve("obs.txt");
    CliFixture.Result r =
        cli.run("decrypt", "--aad", "Observation/8/1", "-o", out.toString(), env.toString());
    assertEquals(ExitCode.INVALID_CIPHERTEXT, r.exitCode(), r.toString());
    assertTrue(r.stderr().startsWith("cmk: invalid ciphertext"), r.stderr());
    assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
    assertFalse(Files.exists(out), "no output file for an envelope that does not authenticate");
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temp file left");
    }
    assertFalse(r.stderr().contains("secret-observation"));
  }

  @Test
  void decrypt_tamperedEnvelope_exit2() {
    CliFixture cli = cli();
    cli.createKey("tamper", 2048);
    byte[] envelope = cli.runWithInput(randomBytes(1000), "encrypt", "-k", "tamper").stdout();
    envelope[envelope.length - 5] ^= 0x01;
    CliFixture.Result r = cli.runWithInput(envelope, "decrypt");
    assertEquals(ExitCode.INVALID_CIPHERTEXT, r.exitCode(), r.toString());
    assertEquals(0, r.stdout().length, "nothing released from a tampered single-segment envelope");
  }

  // ------------------------------------------------------------------------ rewrap

  @Test
  void rewrap_directoryTreeAfterRotation_movesAllThenSkipsAll() throws IOException {
    CliFixture cli = cli();
    String v1 = cli.createKey("archive", 2048);
    Path tree = dir.resolve("store");
    List<Path> envelopes = new ArrayList<>();
    List<byte[]> plaintexts = new ArrayList<>();
    for (String name : List.of("a.cmk", "sub/b.cmk", "sub/deeper/c.cmk")) {
      Path f = tree.resolve(name);
      Files.createDirectories(f.getParent());
      byte[] p = randomBytes(100_000 + envelopes.size());
      assertEquals(
          0, cli.runWithInput(p, "encrypt", "-k", "archive", "-o", f.toString()).exitCode());
      envelopes.add(f);
      plaintexts.add(p);
    }
    Files.writeString(tree.resolve("sub/readme.txt"), "not an envelope");

    CliFixture.Result rot = cli.run("keys", "rotate", "archive");
    assertEquals(0, rot.exitCode(), rot.toString());
    String v2 = rot.out().strip();
    assertFalse(v2.equals(v1));

    CliFixture.Result first = cli.run("rewrap", "--key", "local:archive", tree.toString());
    assertEquals(0, first.exitCode(), first.toString());
    String summary = first.out();
    assertAll(
        () -> assertTrue(summary.contains("Re-wrap to " + v2), summary),
        () -> assertEquals("3", field(summary, "  envelopes")),
        () -> assertEquals("3  (from " + v1 + ": 3)", field(summary, "  re-wrapped")),
        () -> assertEquals("0", field(summary, "  already current")),
        () -> assertEquals("0", field(summary, "  failed")),
        () -> assertEquals("1  (left unchanged)", field(summary, "  not envelopes")));
    for (int i = 0; i < envelopes.size(); i++) {
      Path f = envelopes.get(i);
      assertEquals(v2, field(cli.run("inspect", f.toString()).out(), "key reference"));
      assertArrayEquals(plaintexts.get(i), cli.run("decrypt", f.toString()).stdout());
    }
    assertEquals("not an envelope", Files.readString(tree.resolve("sub/readme.txt")));

    CliFixture.Result second = cli.run("rewrap", "--key", "archive", tree.toString());
    assertEquals(0, second.exitCode(), second.toString());
    assertEquals("0", field(second.out(), "  re-wrapped"));
    assertEquals("3", field(second.out(), "  already current"));
    try (Stream<Path> files = Files.walk(tree)) {
      assertEquals(
          List.of(),
          files.filter(f -> f.getFileName().toString().endsWith(".tmp")).collect(Collectors.toList()));
    }
  }

  @Test
  void rewrap_oldVersionDisabled_reportsFailuresAndExit3() throws IOException {
    CliFixture cli = cli();
    String v1 = cli.createKey("revoked", 2048);
    Path f = dir.resolve("one.cmk");
    cli.runWithInput(randomBytes(10), "encrypt", "-k", "revoked", "-o", f.toString());
    byte[] before = Files.readAllBytes(f);
    cli.run("keys", "rotate", "revoked");
    assertEquals(0, cli.run("keys", "disable", v1).exitCode());
    CliFixture.Result r = cli.run("rewrap", "-k", "revoked", f.toString());
    assertEquals(ExitCode.KEY_ACCESS, r.exitCode(), r.toString());
    assertEquals("1", field(r.out(), "  failed"));
    assertTrue(r.stderr().contains("failed: " + f), r.stderr());
    assertArrayEquals(before, Files.readAllBytes(f), "a failed file is left unchanged");
  }

  // --------------------------------------------------------------------- check-key

  @Test
  void checkKey_compliantKey_printsEveryRequirementMetWithValues() {
    CliFixture cli = cli();
    String v1 = cli.createKey("fhir-key", 3072);
    CliFixture.Result r = cli.run("check-key", "--policy", "fhir", "local:fhir-key");
    assertEquals(0, r.exitCode(), r.toString());
    String out = r.out();
    assertAll(
        () -> assertTrue(out.contains("Key " + v1 + " (provider keystore)"), out),
        () -> assertTrue(out.contains("Policy fhir-service"), out),
        () -> assertTrue(out.matches("(?s).*✓ key-type +RSA\n.*"), out),
        () -> assertTrue(out.matches("(?s).*✓ key-size +3072 bits\n.*"), out),
        () -> assertTrue(out.matches("(?s).*✓ key-enabled +enabled\n.*"), out),
        () -> assertTrue(out.matches("(?s).*✓ key-operations +wrapKey, unwrapKey\n.*"), out),
        () -> assertTrue(out.matches("(?s).*✓ vault-soft-delete +soft delete on, 90 days retention\n.*"), out),
        () -> assertTrue(out.matches("(?s).*✓ vault-purge-protection +purge protection on\n.*"), out),
        () -> assertTrue(out.matches("(?s).*✓ vault-and-key-name-length +vault name \\+ key name = 8 characters\n.*"), out),
        () -> assertEquals(9, out.lines().filter(l -> l.startsWith("  ✓")).count(), out),
        () -> assertFalse(out.contains("✗"), out),
        () -> assertTrue(out.contains("meets all 9 requirements"), out));
  }

  @Test
  void checkKey_1024BitKey_printsFailedSizeAndPassingRulesExit5() throws Exception {
    CliFixture cli = cli();
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(1024);
    KeyReference weak;
    try (KeystoreKeyProvider p =
        KeystoreKeyProvider.builder()
            .path(cli.keystore)
            .password(CliFixture.PASSWORD::toCharArray)
            .create(true)
            .build()) {
      weak = p.keyManager().orElseThrow().importKey("legacy", g.generateKeyPair());
    }
    CliFixture.Result r = cli.run("check-key", "--policy", "dicom", "legacy");
    assertEquals(ExitCode.POLICY_VIOLATION, r.exitCode(), r.toString());
    String out = r.out();
    assertAll(
        () -> assertTrue(out.contains("Key " + weak), out),
        () -> assertTrue(out.matches("(?s).*✗ key-size +key size 1024 not in \\[2048, 3072\\]\n.*"), out),
        () -> assertTrue(out.matches("(?s).*✓ key-type +RSA\n.*"), out),
        () -> assertTrue(out.matches("(?s).*✓ key-versioned +version .*"), out),
        () -> assertEquals(1, out.lines().filter(l -> l.startsWith("  ✗")).count(), out),
        () -> assertEquals(7, out.lines().filter(l -> l.startsWith("  ✓")).count(), out),
        () -> assertTrue(out.contains("1 of 8 requirements of dicom-service not met"), out));

    CliFixture.Result enc = cli.runWithInput(randomBytes(10), "encrypt", "-k", "legacy");
    assertEquals(ExitCode.POLICY_VIOLATION, enc.exitCode(), enc.toString());
    assertTrue(enc.stderr().contains("key size 1024"), enc.stderr());
  }

  // ------------------------------------------------------------- status and keys

  @Test
  void status_availableThenDisabled_exit0ThenExit3() {
    CliFixture cli = cli();
    String v1 = cli.createKey("svc", 2048);
    CliFixture.Result ok = cli.run("status", "svc");
    assertEquals(0, ok.exitCode(), ok.toString());
    assertTrue(field(ok.out(), "state").startsWith("AVAILABLE"), ok.out());
    assertEquals(v1, field(ok.out(), "current version"));

    cli.run("keys", "disable", "svc");
    CliFixture.Result down = cli.run("status", "svc");
    assertEquals(ExitCode.KEY_ACCESS, down.exitCode(), down.toString());
    assertTrue(field(down.out(), "state").startsWith("UNAVAILABLE"), down.out());
    assertEquals("KEY_DISABLED", field(down.out(), "cause"));
  }

  @Test
  void keys_listAfterRotateAndDisable_showsVersionsStateAndLatest() {
    CliFixture cli = cli();
    String v1 = cli.createKey("listed", 2048);
    String v2 = cli.run("keys", "rotate", "local:listed").out().strip();
    CliFixture.Result dis = cli.run("keys", "disable", v1);
    assertEquals("disabled " + v1, dis.out().strip());
    String out = cli.run("keys", "list").out();
    String version1 = v1.substring(v1.indexOf('/') + 1);
    String version2 = v2.substring(v2.indexOf('/') + 1);
    assertTrue(out.startsWith("local:listed\n"), out);
    assertTrue(out.matches("(?s).*" + version1 + " +RSA 2048  DISABLED.*"), out);
    assertTrue(out.matches("(?s).*" + version2 + " +RSA 2048  enabled .*\\(latest\\)\n.*"), out);
    assertEquals("enabled " + v1, cli.run("keys", "enable", v1).out().strip());
  }

  // --------------------------------------------------------------------- exit codes

  @Test
  void exitCodes_usageMissingKeyNotFoundIoAndNotAnEnvelope() throws IOException {
    CliFixture cli = cli();
    cli.createKey("codes", 2048);
    Path text = dir.resolve("plain.txt");
    Files.writeString(text, "hello");
    assertAll(
        () -> assertEquals(ExitCode.USAGE, cli.run("encrypt", "--no-such-option").exitCode()),
        () -> assertEquals(ExitCode.USAGE, cli.run("encrypt", text.toString()).exitCode(), "--key missing"),
        () -> assertEquals(ExitCode.USAGE, cli.run("check-key", "--policy", "hipaa", "codes").exitCode()),
        () -> assertEquals(ExitCode.USAGE, cli.run("inspect", "a", "b").exitCode()),
        () -> assertEquals(ExitCode.USAGE, cli.run("encrypt", "-k", "bad key!", text.toString()).exitCode()),
        () -> assertEquals(ExitCode.USAGE, cli.run().exitCode()),
        () -> assertEquals(ExitCode.OK, cli.run("--help").exitCode()),
        () -> assertEquals(ExitCode.KEY_ACCESS, cli.run("check-key", "--policy", "fhir", "nope").exitCode()),
        () -> assertEquals(ExitCode.IO, cli.run("encrypt", "-k", "codes", dir.resolve("missing").toString()).exitCode()),
        () -> assertEquals(ExitCode.INVALID_CIPHERTEXT, cli.run("inspect", text.toString()).exitCode()),
        () -> assertEquals(ExitCode.INVALID_CIPHERTEXT, cli.run("decrypt", text.toString()).exitCode()));
    CliFixture.Result v = cli.run("--version");
    assertEquals(0, v.exitCode());
    assertTrue(v.out().startsWith("cmk 0.1.0"), v.out());
  }

  @Test
  void keystoreSettings_missingPasswordOrFile_usageAndUnavailable() throws IOException {
    CliFixture cli = cli();
    cli.env.remove("CMK_KEYSTORE_PASSWORD");
    CliFixture.Result noPassword = cli.run("keys", "list");
    assertEquals(ExitCode.USAGE, noPassword.exitCode(), noPassword.toString());
    assertTrue(noPassword.stderr().contains("CMK_KEYSTORE_PASSWORD"), noPassword.stderr());

    cli.env.put("CMK_KEYSTORE_PASSWORD", CliFixture.PASSWORD);
    CliFixture.Result noFile = cli.run("keys", "list");
    assertEquals(ExitCode.PROVIDER_UNAVAILABLE, noFile.exitCode(), noFile.toString());
    assertTrue(noFile.stderr().contains("does not exist"), noFile.stderr());

    Files.writeString(cli.keystore, "garbage");
    CliFixture.Result garbage = cli.run("--verbose", "keys", "list");
    assertEquals(ExitCode.PROVIDER_UNAVAILABLE, garbage.exitCode(), garbage.toString());
    assertTrue(garbage.stderr().contains("caused by: "), "cause chain with --verbose: " + garbage.stderr());
    assertFalse(cli.run("keys", "list").stderr().contains("caused by: "));
  }

  // ------------------------------------------------------------------------ secrets

  @Test
  void secrets_neverInOutputAndRefusedOnCommandLine() throws IOException {
    CliFixture cli = cli();
    cli.createKey("quiet", 2048);
    byte[] plaintext = "top-secret-diagnosis".getBytes(StandardCharsets.UTF_8);
    List<CliFixture.Result> results = new ArrayList<>();
    byte[] envelope = cli.runWithInput(plaintext, "encrypt", "-k", "quiet").stdout();
    results.add(cli.runWithInput(envelope, "inspect"));
    results.add(cli.run("check-key", "--policy", "fhir", "quiet"));
    results.add(cli.run("status", "quiet"));
    results.add(cli.run("keys", "list"));
    results.add(cli.runWithInput(envelope, "--verbose", "decrypt", "--aad", "wrong"));

    Path pwFile = dir.resolve("wrong-password");
    String wrong = "Wrong-Pa55word-For-Test";
    Files.writeString(pwFile, wrong + "\n");
    CliFixture.Result wrongPassword =
        cli.run("--verbose", "keys", "list", "--keystore-password-file", pwFile.toString());
    assertEquals(ExitCode.KEY_ACCESS, wrongPassword.exitCode(), wrongPassword.toString());
    assertTrue(wrongPassword.stderr().contains("wrong password"), wrongPassword.stderr());
    results.add(wrongPassword);

    CliFixture.Result pinOnCommandLine = cli.run("keys", "list", "--pin", "987654");
    assertEquals(ExitCode.USAGE, pinOnCommandLine.exitCode(), pinOnCommandLine.toString());
    assertTrue(pinOnCommandLine.stderr().contains("never accepted on the command line"));
    CliFixture.Result passwordOnCommandLine =
        cli.run("decrypt", "--keystore-password=" + CliFixture.PASSWORD, "-");
    assertEquals(ExitCode.USAGE, passwordOnCommandLine.exitCode());
    CliFixture.Result pinBeforeCommand = cli.run("--pin", "987654", "keys", "list");
    assertEquals(ExitCode.USAGE, pinBeforeCommand.exitCode(), pinBeforeCommand.toString());
    results.add(pinBeforeCommand);
    results.add(pinOnCommandLine);
    results.add(passwordOnCommandLine);

    for (CliFixture.Result r : results) {
      String all = new String(r.stdout(), StandardCharsets.ISO_8859_1) + r.stderr();
      assertFalse(all.contains(CliFixture.PASSWORD), "keystore password in output: " + r);
      assertFalse(all.contains(wrong), "wrong password in output: " + r);
      assertFalse(all.contains("987654"), "PIN in output: " + r);
      assertFalse(all.contains("top-secret-diagnosis"), "plaintext in output: " + r);
    }
  }

  @Test
  void encrypt_stdinFailsHalfWay_exitsNonZeroAndStdoutIsNoValidEnvelope() {
    CliFixture cli = cli();
    cli.createKey("cut", 2048);
    byte[] plaintext = randomBytes(300_000);
    CliFixture.Result enc = cli.runWithInput(
        FailingInputStream.failingAt(plaintext, 100_000, "stdin: connection reset"),
        "encrypt", "-k", "cut");
    assertEquals(ExitCode.IO, enc.exitCode(), enc.toString());
    CliFixture.Result dec = cli.runWithInput(enc.stdout(), "decrypt");
    assertTrue(dec.exitCode() != 0 && dec.stdout().length == 0,
        "a prefix of the input must not decrypt as if it were all of it: " + dec);
  }

  @Test
  void atSignArguments_areNotExpanded_soAFilesContentNeverReachesAnErrorLine() throws IOException {
    CliFixture cli = cli();
    Path secretFile = dir.resolve("pinfile");
    String secret = "4711-Secret-Pin-Value";
    Files.writeString(secretFile, secret + "\n");
    List<CliFixture.Result> results = List.of(
        cli.run("keys", "list", "--keystore-password-file", "@" + secretFile),
        cli.run("inspect", "@" + secretFile),
        cli.run("@" + secretFile));
    for (CliFixture.Result r : results) {
      assertTrue(r.exitCode() != 0, r.toString());
      assertFalse((r.out() + r.stderr()).contains(secret), "file content in output: " + r);
    }
  }

  @Test
  void rewrap_keepsTheFilesOwnerGroupAndPermissions() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")),
        "needs root to give a file to another user (CI runs as root)");
    CliFixture cli = cli();
    cli.createKey("owned", 2048);
    Path f = dir.resolve("owned.cmk");
    assertEquals(0, cli.runWithInput(randomBytes(1_000), "encrypt", "-k", "owned", "-o", f.toString())
        .exitCode());
    java.nio.file.attribute.UserPrincipalLookupService users =
        f.getFileSystem().getUserPrincipalLookupService();
    java.nio.file.attribute.PosixFileAttributeView view =
        Files.getFileAttributeView(f, java.nio.file.attribute.PosixFileAttributeView.class);
    view.setOwner(users.lookupPrincipalByName("65534"));
    view.setGroup(users.lookupPrincipalByGroupName("65534"));
    Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    java.nio.file.attribute.PosixFileAttributes before = view.readAttributes();
    assertEquals(0, cli.run("keys", "rotate", "owned").exitCode());

    CliFixture.Result r = cli.run("rewrap", "--key", "owned", f.toString());
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(field(r.out(), "  re-wrapped").startsWith("1  (from "), r.out());
    java.nio.file.attribute.PosixFileAttributes after =
        Files.getFileAttributeView(f, java.nio.file.attribute.PosixFileAttributeView.class).readAttributes();
    assertEquals(before.owner(), after.owner());
    assertEquals(before.group(), after.group());
    assertEquals(before.permissions(), after.permissions());
  }
}
