package dev.cmk.core.internal;

/**
 * What the body code (one-shot loops, streams, range reader) needs from an envelope header of
 * either format: its bytes, its length and the segment size. {@link EnvelopeHeader} is format v1
 * (the wrapped data key inside), {@link CompactHeader} format v2 (a data-key record id); {@link
 * Headers} reads either.
 */
public sealed interface Header permits EnvelopeHeader, CompactHeader {

  /** The header bytes (shared; do not modify). */
  byte[] bytes();

  /** Header length in bytes. */
  int length();

  /** Plaintext bytes per segment. */
  int segmentSize();

  /** Envelope format version: 1 or 2. */
  int formatVersion();
}
