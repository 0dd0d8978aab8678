package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The store as deployed, in its own JVM: {@code java -Xmx96m -p
 * target/lib:target/cmk-example-dicom-store.jar -m dev.cmk.examples.dicom/...DicomStoreMain},
 * the module path the {@code package} phase fills (the integration tests run after it).
 */
final class DeployedStore {
  private static final Pattern LISTENING =
      Pattern.compile("dicom-store listening on (http://127\\.0\\.0\\.1:\\d+/)");

  private DeployedStore() {}

  /**
   * The first line a started store prints.
   *
   * @param line the line
   * @param base the base URI it listens on
   */
  record Listening(String line, URI base) {}

  /**
   * The command that runs the store with {@code options}.
   *
   * @param options the store's command-line options
   * @return the command
   */
  static List<String> command(List<String> options) {
    Path target = Path.of("target");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx96m", "-XX:TieredStopAtLevel=1",
        "-p", target.resolve("lib") + File.pathSeparator
            + target.resolve("cmk-example-dicom-store.jar"),
        "-m", "dev.cmk.examples.dicom/dev.cmk.examples.dicom.DicomStoreMain"));
    command.addAll(options);
    return command;
  }

  /**
   * Reads the first line of a started store's standard output and asserts that it announces the
   * store listening.
   *
   * @param process the store
   * @param stderr what the process wrote to its standard error, for the failure message
   * @return the line and the base URI
   * @throws IOException if reading fails
   */
  static Listening listening(Process process, Supplier<String> stderr) throws IOException {
    BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    Matcher m = LISTENING.matcher(line == null ? "" : line);
    assertTrue(m.lookingAt(), () -> "did not start: " + line + "\n" + stderr.get());
    return new Listening(line, URI.create(m.group(1)));
  }
}
