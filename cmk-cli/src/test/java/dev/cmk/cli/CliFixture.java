package dev.cmk.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs {@code cmk} in-process against a keystore in a temporary directory. */
final class CliFixture {
  static final String PASSWORD = "cli-Test-Keystore-Pa55word";

  final Path dir;
  final Path keystore;
  final Map<String, String> env = new HashMap<>();
  /** Every environment variable the tool looked up, in order (to prove a PIN was never read). */
  final List<String> lookedUp = Collections.synchronizedList(new ArrayList<>());
  /** How the Azure provider gets its credential; tests of vaults set a loopback one. */
  AzureSetup azureSetup = AzureSetup.FROM_OPTIONS;

  CliFixture(Path dir) {
    this.dir = dir;
    this.keystore = dir.resolve("keys.p12");
    env.put("CMK_KEYSTORE", keystore.toString());
    env.put("CMK_KEYSTORE_PASSWORD", PASSWORD);
  }

  /** What one run produced. */
  record Result(int exitCode, byte[] stdout, String stderr) {
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out() + "\n--- stderr\n" + stderr;
    }
  }

  Result run(String... args) {
    return runWithInput(new byte[0], args);
  }

  Result runWithInput(byte[] stdin, String... args) {
    return runWithInput(new ByteArrayInputStream(stdin), args);
  }

  Result runWithInput(java.io.InputStream stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    Context ctx =
        new Context(
            stdin,
            o,
            e,
            name -> {
              lookedUp.add(name);
              return env.get(name);
            },
            false,
            true,
            azureSetup);
    int code = Cmk.run(args, ctx);
    o.flush();
    e.flush();
    return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
  }

  /** {@code cmk keys create NAME --size BITS}; returns the versioned reference printed. */
  String createKey(String name, int bits) {
    Result r = run("keys", "create", name, "--size", String.valueOf(bits));
    if (r.exitCode() != 0) {
      throw new AssertionError(r.toString());
    }
    return r.out().strip();
  }
}
