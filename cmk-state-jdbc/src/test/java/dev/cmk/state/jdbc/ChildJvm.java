package dev.cmk.state.jdbc;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A test's main class in a JVM of its own, on this JVM's class path, that talks in lines: what it
 * prints is read from {@link #out()}, what it is told is written to {@link #in()}; its standard
 * error goes to a file under {@code target/}. For the tests that race separate processes.
 */
record ChildJvm(Process process, BufferedReader out, PrintStream in) {
  /**
   * Starts {@code main} with {@code args}.
   *
   * @param env variables added to the child's environment (e.g. a password, kept off its
   *     command line)
   * @param stderr the file for its standard error
   */
  static ChildJvm start(Class<?> main, Map<String, String> env, File stderr, String... args)
      throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(stderr);
    pb.environment().putAll(env);
    Process p = pb.start();
    return new ChildJvm(p,
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)),
        new PrintStream(p.getOutputStream(), true, StandardCharsets.US_ASCII));
  }
}
