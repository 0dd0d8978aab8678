package dev.cmk.cli;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Builds envelopes whose header names any provider and key (format version 1, see {@code
 * docs/envelope-format.md}), for tests that must show which vault or token the tool contacts
 * because of a header alone. The wrapped key and tag are filler: the envelope parses, but nothing
 * can decrypt it.
 */
final class Envelopes {
  private static final int SEGMENT_SIZE = 4096;

  private Envelopes() {}

  /** A well-formed envelope of an empty plaintext naming {@code providerId} and {@code keyReference}. */
  static byte[] naming(String providerId, String keyReference) {
    byte[] provider = providerId.getBytes(StandardCharsets.US_ASCII);
    byte[] reference = keyReference.getBytes(StandardCharsets.US_ASCII);
    int wrapped = 256;
    int headerLength = 12 + 1 + provider.length + 2 + reference.length + 1 + 2 + wrapped + 7 + 32;
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    h.writeBytes(new byte[] {'C', 'M', 'K', 'E', 1, 1});
    u16(h, headerLength);
    h.writeBytes(new byte[] {0, 0, (byte) (SEGMENT_SIZE >> 8), (byte) SEGMENT_SIZE});
    h.write(provider.length);
    h.writeBytes(provider);
    u16(h, reference.length);
    h.writeBytes(reference);
    h.write(1); // RSA-OAEP-256
    u16(h, wrapped);
    h.writeBytes(new byte[wrapped + 7 + 32]);
    long total = EnvelopeInfo.envelopeLength(0, headerLength, SEGMENT_SIZE);
    h.writeBytes(new byte[(int) (total - headerLength)]);
    return h.toByteArray();
  }

  private static void u16(ByteArrayOutputStream out, int v) {
    out.write(v >> 8);
    out.write(v);
  }
}
