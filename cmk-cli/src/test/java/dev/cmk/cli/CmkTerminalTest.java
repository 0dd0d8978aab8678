package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.testkit.ManualClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tool does on a terminal, with the terminal checks pinned: byte progress (bytes, rate,
 * ETA) on a "terminal" stderr and nothing otherwise; binary output to a "terminal" stdout refused
 * as a usage error. Time comes from a manual clock that moves 40 ms every time the tool reads it,
 * so rates and ETAs are deterministic.
 */
class CmkTerminalTest {
  private static final Pattern LINE = Pattern.compile(
      "(encrypt|decrypt|rewrap)  ([0-9.]+ (?:B|KiB|MiB|GiB))(?: / ([0-9.]+ (?:B|KiB|MiB|GiB))  +(\\d+)%)?"
          + "  ([0-9.]+ (?:B|KiB|MiB|GiB))/s(?:  ETA (\\d+:\\d\\d))?(?:  (.*))?\u001b\\[K");

  @TempDir Path dir;

  /** A manual clock that advances {@code step} each time it is read. */
  private static Clock ticking(Duration step) {
    ManualClock manual = ManualClock.create();
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return manual.advance(step);
      }
    };
  }

  /** A plaintext that is easy to spot if it ever reached stderr. */
  private static byte[] plaintext(int n) {
    byte[] marker = "PLAINTEXT-MARKER-".getBytes(StandardCharsets.US_ASCII);
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = marker[i % marker.length];
    }
    return b;
  }

  /** The progress lines drawn ({@code \r}-separated), each matching {@link #LINE}. */
  private static List<Matcher> progressLines(String stderr) {
    assertTrue(stderr.endsWith("\n"), "the progress line is ended: " + stderr);
    List<String> parts = Arrays.asList(stderr.strip().split("\r"));
    return parts.stream().filter(p -> !p.isEmpty()).map(p -> {
      Matcher m = LINE.matcher(p);
      assertTrue(m.matches(), "progress line: '" + p + "'");
      return m;
    }).toList();
  }

  @Test
  void encrypt_stderrTerminal_showsBytesRateAndEtaEndingAtTheTotal() throws Exception {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("big", 2048);
    Path input = dir.resolve("scan.raw");
    Files.write(input, plaintext(3 << 20));
    cli.stderrTerminal = true;
    cli.clock = ticking(Duration.ofMillis(40));

    CliFixture.Result r = cli.run("encrypt", "-k", "big", "-o", dir.resolve("scan.cmk").toString(),
        input.toString());

    assertEquals(ExitCode.OK, r.exitCode(), r.toString());
    List<Matcher> lines = progressLines(r.stderr());
    assertTrue(lines.size() >= 5, "redrawn as it goes: " + lines.size());
    Matcher last = lines.get(lines.size() - 1);
    assertAll(
        () -> assertEquals("encrypt", last.group(1)),
        () -> assertEquals("3.0 MiB", last.group(2)),
        () -> assertEquals("3.0 MiB", last.group(3)),
        () -> assertEquals("100", last.group(4)),
        () -> assertEquals("0:00", last.group(6)),
        () -> assertTrue(Double.parseDouble(last.group(5).split(" ")[0]) > 0),
        () -> assertTrue(lines.get(0).group(6) != null, "ETA while running"),
        () -> assertTrue(Integer.parseInt(lines.get(0).group(4)) < 100),
        () -> assertFalse(r.stderr().contains("PLAINTEXT-MARKER"), "no data on stderr"));

    // The same run with stderr not a terminal: silent.
    cli.stderrTerminal = false;
    CliFixture.Result quiet = cli.run("encrypt", "-k", "big", "-o",
        dir.resolve("scan2.cmk").toString(), input.toString());
    assertEquals(ExitCode.OK, quiet.exitCode(), quiet.toString());
    assertEquals("", quiet.stderr());
  }

  @Test
  void decryptAndEncryptStdin_stderrTerminal_progressWithoutTotalForStdin() throws Exception {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("pipe", 2048);
    byte[] data = plaintext(2 << 20);
    cli.stderrTerminal = true;
    cli.clock = ticking(Duration.ofMillis(40));

    CliFixture.Result enc = cli.runWithInput(data, "encrypt", "-k", "pipe");
    Path envelope = dir.resolve("pipe.cmk");
    Files.write(envelope, enc.stdout());
    CliFixture.Result dec = cli.run("decrypt", envelope.toString());
    cli.stderrTerminal = false;
    CliFixture.Result decQuiet = cli.run("decrypt", envelope.toString());

    assertEquals(ExitCode.OK, enc.exitCode(), enc.toString());
    Matcher e = progressLines(enc.stderr()).get(progressLines(enc.stderr()).size() - 1);
    assertEquals("2.0 MiB", e.group(2));
    assertEquals(null, e.group(3), "stdin: total unknown");
    assertEquals(null, e.group(6), "stdin: no ETA");

    assertEquals(ExitCode.OK, dec.exitCode(), dec.toString());
    assertArrayEquals(data, dec.stdout());
    List<Matcher> d = progressLines(dec.stderr());
    Matcher lastD = d.get(d.size() - 1);
    assertEquals("decrypt", lastD.group(1));
    assertEquals(ByteProgress.size(Files.size(envelope)), lastD.group(2));
    assertEquals(lastD.group(2), lastD.group(3));
    assertFalse(dec.stderr().contains("PLAINTEXT-MARKER"));
    assertEquals("", decQuiet.stderr());
    assertArrayEquals(data, decQuiet.stdout());
  }

  @Test
  void encrypt_quickOnATerminal_drawsNothing() {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("quick", 2048);
    cli.stderrTerminal = true;
    cli.clock = ticking(Duration.ZERO); // never reaches the first-draw delay
    CliFixture.Result r = cli.runWithInput(plaintext(1 << 20), "encrypt", "-k", "quick");
    assertEquals(ExitCode.OK, r.exitCode(), r.toString());
    assertEquals("", r.stderr());
  }

  @Test
  void rewrap_stderrTerminal_progressWithFileCounts_silentWithNoProgress() throws Exception {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("tree", 2048);
    Path tree = Files.createDirectories(dir.resolve("tree"));
    long total = 0;
    for (int i = 0; i < 3; i++) {
      Path f = tree.resolve("f" + i + ".cmk");
      assertEquals(0, cli.runWithInput(plaintext(600_000), "encrypt", "-k", "tree", "-o",
          f.toString()).exitCode());
      total += Files.size(f);
    }
    cli.run("keys", "rotate", "tree");
    cli.stderrTerminal = true;
    cli.clock = ticking(Duration.ofMillis(40));

    CliFixture.Result r = cli.run("rewrap", "-k", "tree", tree.toString());

    assertEquals(ExitCode.OK, r.exitCode(), r.toString());
    List<Matcher> lines = progressLines(r.stderr());
    Matcher last = lines.get(lines.size() - 1);
    assertEquals("rewrap", last.group(1));
    assertEquals(ByteProgress.size(total), last.group(3));
    assertEquals("3/3 files", last.group(7));

    cli.run("keys", "rotate", "tree");
    CliFixture.Result off = cli.run("rewrap", "--no-progress", "-k", "tree", tree.toString());
    assertEquals(ExitCode.OK, off.exitCode(), off.toString());
    assertEquals("", off.stderr());
  }

  @Test
  void encryptDecrypt_stdoutTerminal_usageErrorWithHintAndNothingWritten() throws Exception {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("tty", 2048);
    byte[] envelope = cli.runWithInput(plaintext(1000), "encrypt", "-k", "tty").stdout();
    cli.stdoutTerminal = true;

    CliFixture.Result enc = cli.runWithInput(plaintext(1000), "encrypt", "-k", "tty");
    CliFixture.Result dec = cli.runWithInput(envelope, "decrypt");
    CliFixture.Result explicit = cli.runWithInput(envelope, "decrypt", "-o", "-");
    Path out = dir.resolve("plain.bin");
    CliFixture.Result toFile = cli.runWithInput(envelope, "decrypt", "-o", out.toString());
    CliFixture.Result inspect = cli.runWithInput(envelope, "inspect");

    for (CliFixture.Result r : List.of(enc, dec, explicit)) {
      assertEquals(ExitCode.USAGE, r.exitCode(), r.toString());
      assertEquals(0, r.stdout().length, r.toString());
      assertTrue(r.stderr().contains("to the terminal"), r.stderr());
      assertTrue(r.stderr().contains("-o FILE") && r.stderr().contains("pipe"), r.stderr());
      assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
    }
    assertEquals(ExitCode.OK, toFile.exitCode(), toFile.toString());
    assertArrayEquals(plaintext(1000), Files.readAllBytes(out));
    assertEquals(ExitCode.OK, inspect.exitCode(), "text reports still go to a terminal");
  }

  @Test
  void exitCodes_matchTheDocumentedTable() {
    CliFixture cli = new CliFixture(dir);
    assertAll(
        () -> assertEquals(0, ExitCode.OK),
        () -> assertEquals(1, ExitCode.INTERNAL),
        () -> assertEquals(2, ExitCode.USAGE),
        () -> assertEquals(3, ExitCode.KEY_ACCESS),
        () -> assertEquals(4, ExitCode.PROVIDER_UNAVAILABLE),
        () -> assertEquals(5, ExitCode.POLICY_VIOLATION),
        () -> assertEquals(6, ExitCode.IO),
        () -> assertEquals(7, ExitCode.INVALID_CIPHERTEXT),
        () -> assertEquals(2, cli.run("encrypt", "--no-such-option").exitCode(), "picocli usage"),
        () -> assertEquals(2, cli.run("keys").exitCode(), "missing subcommand"),
        () -> assertEquals(7, cli.runWithInput(new byte[100], "inspect").exitCode()),
        () -> assertEquals(1, Cmk.exitCode(new NullPointerException("bug"))),
        () -> assertTrue(cli.run("--help").out().contains("2  usage error")));
  }
}
