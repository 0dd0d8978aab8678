package dev.cmk.core;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers what the loss-of-access guard decided under its lock, after the lock is released:
 * first the after-lock actions (destroying one version's cached data keys), then the purge of
 * every cached data key when a {@link KeyAccessEvent.DataKeysPurged} is among the events, then
 * the listeners. Purges run outside the guard's lock because the data-key caches have locks of
 * their own (lock ordering); the guard's state already refuses reads before the purge runs.
 *
 * <p>Thread-safe: a {@link Pending} belongs to one thread; publishing shares nothing.
 */
final class GuardEvents {
  private static final Logger LOG = LoggerFactory.getLogger(KeyAccessGuard.class);

  private final List<KeyAccessListener> listeners;
  private final Runnable purgeDataKeys;

  GuardEvents(List<KeyAccessListener> listeners, Runnable purgeDataKeys) {
    this.listeners = List.copyOf(listeners);
    this.purgeDataKeys = purgeDataKeys;
  }

  /** Events and actions gathered by one thread under the guard's lock. */
  static final class Pending {
    final List<KeyAccessEvent> events = new ArrayList<>();
    final List<Runnable> actions = new ArrayList<>();

    void add(KeyAccessEvent event) {
      events.add(event);
    }

    void after(Runnable action) {
      actions.add(action);
    }
  }

  /** Runs what must happen outside the lock: actions, purges, then listeners. */
  void publish(Pending pending) {
    for (Runnable action : pending.actions) {
      action.run();
    }
    for (KeyAccessEvent e : pending.events) {
      if (e instanceof KeyAccessEvent.DataKeysPurged) {
        purgeDataKeys.run();
        LOG.atWarn().setMessage("cmk.key.data-keys-purged")
            .addKeyValue("cause", ((KeyAccessEvent.DataKeysPurged) e).cause())
            .log();
      }
    }
    for (KeyAccessEvent e : pending.events) {
      for (KeyAccessListener l : listeners) {
        try {
          l.onEvent(e);
        } catch (RuntimeException ex) {
          LOG.atWarn().setMessage("cmk.key.listener-failed")
              .addKeyValue("listener", l.getClass().getName())
              .addKeyValue("event", e.eventName())
              .setCause(ex)
              .log();
        }
      }
    }
  }
}
