package dev.cmk.core.fuzz;

import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The committed seed corpus under {@code src/test/resources/fuzz/}: {@code envelope/} holds
 * envelopes (valid ones of several sizes made with the fixed test key, and truncated, flipped and
 * lying variants), {@code range/} the same prefixed by an 8-byte range. Each file name states the
 * outcome ({@link SeedCorpusTest} pins it). The fuzz tests take these as a JUnit {@code
 * MethodSource}: in a normal build each seed is one regression invocation, and when fuzzing they
 * seed the mutator.
 */
final class SeedCorpus {
  static final String ENVELOPES = "fuzz/envelope";
  static final String RANGES = "fuzz/range";

  private SeedCorpus() {}

  /** Seeds for the envelope fuzz tests, named by file. */
  static Stream<Arguments> envelopes() {
    return asArguments(load(ENVELOPES));
  }

  /** Seeds for the range reader fuzz test, named by file. */
  static Stream<Arguments> ranges() {
    return asArguments(load(RANGES));
  }

  /** The seed files of {@code dir} on the test class path, by name, in name order. */
  static Map<String, byte[]> load(String dir) {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(testClassesRoot().resolve(dir))) {
      List<Path> sorted = files.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
      for (Path f : sorted) {
        seeds.put(f.getFileName().toString(), Files.readAllBytes(f));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (seeds.isEmpty()) {
      throw new IllegalStateException("no seeds in " + dir);
    }
    return seeds;
  }

  private static Stream<Arguments> asArguments(Map<String, byte[]> seeds) {
    return seeds.entrySet().stream().map(e -> arguments(named(e.getKey(), e.getValue())));
  }

  private static Path testClassesRoot() {
    try {
      return Path.of(
          SeedCorpus.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
