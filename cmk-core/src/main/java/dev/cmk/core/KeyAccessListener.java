package dev.cmk.core;

/**
 * Receives {@link KeyAccessEvent}s. Called synchronously on the thread that caused the event,
 * outside the guard's locks; implementations must be quick and must not throw (exceptions are
 * logged and ignored).
 */
@FunctionalInterface
public interface KeyAccessListener {
  /**
   * Handles one event.
   *
   * @param event the event
   */
  void onEvent(KeyAccessEvent event);
}
