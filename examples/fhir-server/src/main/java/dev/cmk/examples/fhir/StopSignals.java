package dev.cmk.examples.fhir;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns SIGTERM and SIGINT into a normal stop: the server is closed and {@link FhirServerMain}
 * returns 0, instead of the JVM's default of running the shutdown hooks and exiting with 128 +
 * the signal (143, 130). Uses {@code sun.misc.Signal} (module {@code jdk.unsupported}); where a
 * signal cannot be handled (e.g. {@code -Xrs}), the JVM's default stays and the shutdown hook
 * still closes the server.
 */
@SuppressWarnings("restriction")
final class StopSignals {
  private StopSignals() {}

  /**
   * Handles TERM and INT by running {@code stop} once on the signal's thread.
   *
   * @param stop closes the server (its {@code join()} then returns)
   * @return the signals now handled
   */
  static List<String> install(Runnable stop) {
    List<String> handled = new ArrayList<>();
    for (String name : List.of("TERM", "INT")) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stop.run());
        handled.add(name);
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // the signal is reserved in this JVM: its default (hooks, then 128 + n) stays
      }
    }
    return handled;
  }
}
