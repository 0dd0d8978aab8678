package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stream options {@code encrypt} and {@code decrypt} mix in: each command still describes its
 * own input and output (from its resource bundle), and both keep {@code -f} and progress.
 */
class StreamOptionsTest {
  @TempDir Path dir;

  @Test
  void help_encryptAndDecrypt_describeWhatEachReadsAndWrites() {
    CliFixture cli = new CliFixture(dir);
    CliFixture.Result encrypt = cli.run("encrypt", "--help");
    CliFixture.Result decrypt = cli.run("decrypt", "--help");
    String enc = oneLine(encrypt.out());
    String dec = oneLine(decrypt.out());
    assertAll(
        () -> assertEquals(ExitCode.OK, encrypt.exitCode(), encrypt.toString()),
        () -> assertEquals(ExitCode.OK, decrypt.exitCode(), decrypt.toString()),
        () -> assertTrue(enc.contains(" INPUT A file, or - for stdin (default). "), enc),
        () -> assertTrue(enc.contains(
            " -o, --output=OUTPUT Where the envelope goes: a file, or - for stdout (default). "), enc),
        () -> assertTrue(dec.contains(" INPUT An envelope file, or - for stdin (default). "), dec),
        () -> assertTrue(dec.contains(
            " -o, --output=OUTPUT Where the plaintext goes: a file, or - for stdout (default). "), dec),
        () -> assertTrue(enc.contains(" -f, --force Replace the output file if it exists. "), enc),
        () -> assertTrue(dec.contains(" -f, --force Replace the output file if it exists. "), dec),
        () -> assertTrue(enc.contains(" --[no-]progress Show bytes, rate and ETA on stderr "), enc),
        () -> assertTrue(dec.contains(" --[no-]progress Show bytes, rate and ETA on stderr "), dec));
  }

  /** The help text with its line wrapping and column padding folded into single spaces. */
  private static String oneLine(String help) {
    return help.replaceAll("\\s+", " ");
  }
}
