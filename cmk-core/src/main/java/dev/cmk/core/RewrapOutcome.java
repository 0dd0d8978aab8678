package dev.cmk.core;

/** What re-wrapping one envelope did. */
public enum RewrapOutcome {
  /** The header now wraps the data key under the current key version; the body is unchanged. */
  REWRAPPED,
  /** The envelope was already under the current version; nothing was written. */
  ALREADY_CURRENT,
  /** Re-wrapping failed; the stored envelope is unchanged. */
  FAILED
}
