package dev.cmk.cli;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** Runs {@code cmk} in-process against a keystore in a temporary directory. */
final class CliFixture {
  static final String PASSWORD = "cli-Test-Keystore-Pa55word";

  final Path dir;
  final Path keystore;
  final Map<String, String> env = new HashMap<>();
  /** Every environment variable the tool looked up, in order (to prove a PIN was never read). */
  final List<String> lookedUp = Collections.synchronizedList(new ArrayList<>());
  /**
   * Factories replacing the discovered ones by id (tests of vaults: one reaching the loopback Key
   * Vault; tests of the allow-list: one that fails if it is ever asked to build).
   */
  final Map<String, KeyEncryptionKeyProviderFactory> factoryOverrides = new HashMap<>();
  /** Ids of the providers the overriding factories built, in order. */
  final List<String> built = Collections.synchronizedList(new ArrayList<>());
  /** Ids whose factory discovery does not find (as if the provider's jar were missing). */
  final Set<String> undiscoverable = new HashSet<>();
  /** How often the tool ran discovery. */
  final AtomicInteger discoveries = new AtomicInteger();
  /** Whether the tool is told its stdout / stderr is a terminal. */
  boolean stdoutTerminal;
  boolean stderrTerminal;
  /** The tool's clock (progress rate and ETA; the start of a run). */
  Clock clock = Clock.systemUTC();

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
            stdoutTerminal,
            stderrTerminal,
            true,
            clock,
            this::factories);
    int code = Cmk.run(args, ctx);
    o.flush();
    e.flush();
    return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * The factories {@link ProviderFactories#SERVICE_LOADER} discovers, with {@link
   * #factoryOverrides} in place. The fixture's environment is a map, not the process environment
   * the real factories read {@code password-env} / {@code pin-env} from: such a setting is handed
   * to the real factory as a file holding the map's value ({@code password-file} / {@code
   * pin-file}), so every provider is still built by its real factory from the settings the tool
   * produced.
   */
  private Map<String, KeyEncryptionKeyProviderFactory> factories() {
    discoveries.incrementAndGet();
    Map<String, KeyEncryptionKeyProviderFactory> out = new TreeMap<>();
    ProviderFactories.SERVICE_LOADER.discover().forEach((id, f) -> out.put(id, environmentAsFiles(f)));
    factoryOverrides.forEach((id, f) -> out.put(id, recording(f)));
    undiscoverable.forEach(out::remove);
    return out;
  }

  /** The real discovered factory for {@code id}, reading the fixture's environment map. */
  KeyEncryptionKeyProviderFactory realFactory(String id) {
    return environmentAsFiles(ProviderFactories.SERVICE_LOADER.discover().get(id));
  }

  private KeyEncryptionKeyProviderFactory environmentAsFiles(KeyEncryptionKeyProviderFactory real) {
    return factory(real.id(), settings -> {
      Map<String, String> s = new HashMap<>(settings);
      for (String[] pair : new String[][] {{"password-env", "password-file"}, {"pin-env", "pin-file"}}) {
        String variable = s.remove(pair[0]);
        if (variable != null) {
          s.put(pair[1], materialize(variable).toString());
        }
      }
      return real.create(s);
    });
  }

  private KeyEncryptionKeyProviderFactory recording(KeyEncryptionKeyProviderFactory f) {
    return new KeyEncryptionKeyProviderFactory() {
      @Override
      public String id() {
        return f.id();
      }

      @Override
      public KeyEncryptionKeyProvider create(Map<String, String> settings) {
        KeyEncryptionKeyProvider p = f.create(settings);
        built.add(p.id());
        return p;
      }
    };
  }

  /** A file holding the fixture environment's value of {@code variable} (absent: no file). */
  private Path materialize(String variable) {
    try {
      Path d = Files.createDirectories(dir.resolve("fixture-env"));
      Path f = d.resolve(variable);
      String value = env.get(variable);
      if (value == null) {
        Files.deleteIfExists(f);
      } else {
        Files.writeString(f, value, StandardCharsets.UTF_8);
      }
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A factory for {@code id} that builds with {@code create}. */
  static KeyEncryptionKeyProviderFactory factory(
      String id, Function<Map<String, String>, KeyEncryptionKeyProvider> create) {
    return new KeyEncryptionKeyProviderFactory() {
      @Override
      public String id() {
        return id;
      }

      @Override
      public KeyEncryptionKeyProvider create(Map<String, String> settings) {
        return create.apply(settings);
      }
    };
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
