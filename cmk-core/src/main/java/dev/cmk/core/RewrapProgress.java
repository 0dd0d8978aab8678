package dev.cmk.core;

/** Progress callback of {@link EnvelopeCrypto#rewrapAll}, called after each item. */
@FunctionalInterface
public interface RewrapProgress {
  /**
   * One item is done.
   *
   * @param id the item's id
   * @param outcome what happened
   * @param done items processed so far
   */
  void onItem(String id, RewrapOutcome outcome, long done);
}
