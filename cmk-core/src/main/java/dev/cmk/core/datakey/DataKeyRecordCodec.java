package dev.cmk.core.datakey;

import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte form of a {@link DataKeyRecord}, the same in every store, so a record copied between
 * stores (or inspected by an operator) means the same thing. All integers big-endian.
 *
 * <pre>
 * 1   format (1)
 * 32  id
 * 8   createdAt, epoch milliseconds
 * 8   writerSlots
 * 1   createdBy length c, then c bytes ASCII
 * 1   wrapping count n (1..16), then n times:
 *     1  provider id length p, then p bytes ASCII
 *     2  key reference length r, then r bytes ASCII (versioned)
 *     1  wrap algorithm id
 *     2  wrapped key length w, then w bytes
 * </pre>
 *
 * <p>Decoding checks every length against what remains before reading it, so no input makes it
 * allocate more than its own size, and refuses trailing bytes. At most about 33.5 KiB: 16
 * wrappings, each of a 1,024-character reference and a 1,024-byte wrapped key; a few hundred
 * bytes for the usual one or two RSA wrappings.
 */
final class DataKeyRecordCodec {
  private static final int FORMAT = 1;

  private DataKeyRecordCodec() {}

  static byte[] encode(DataKeyRecord r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 400 * r.wrappings().size());
    ByteBuffer fixed = ByteBuffer.allocate(1 + DataKeyId.LENGTH + 8 + 8);
    fixed.put((byte) FORMAT).put(r.id().bytes()).putLong(r.createdAt().toEpochMilli())
        .putLong(r.writerSlots());
    out.writeBytes(fixed.array());
    byte[] by = ascii(r.createdBy());
    out.write(by.length);
    out.writeBytes(by);
    out.write(r.wrappings().size());
    for (WrappedKey w : r.wrappings()) {
      byte[] p = ascii(w.providerId());
      byte[] ref = ascii(w.keyReference().toString());
      byte[] ct = w.ciphertext();
      out.write(p.length);
      out.writeBytes(p);
      out.write(ref.length >>> 8);
      out.write(ref.length);
      out.writeBytes(ref);
      out.write(w.algorithm().id());
      out.write(ct.length >>> 8);
      out.write(ct.length);
      out.writeBytes(ct);
    }
    return out.toByteArray();
  }

  static DataKeyRecord decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    try {
      need(b, 1 + DataKeyId.LENGTH + 16 + 1);
      if (b.get() != FORMAT) {
        throw new IllegalArgumentException("unknown data key record format");
      }
      byte[] id = new byte[DataKeyId.LENGTH];
      b.get(id);
      Instant createdAt = Instant.ofEpochMilli(b.getLong());
      long slots = b.getLong();
      String createdBy = text(b, b.get() & 0xff);
      need(b, 1);
      int n = b.get() & 0xff;
      if (n < 1 || n > DataKeyRecord.MAX_WRAPPINGS) {
        throw new IllegalArgumentException("bad wrapping count");
      }
      List<WrappedKey> wrappings = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        need(b, 1);
        String provider = text(b, b.get() & 0xff);
        need(b, 2);
        String ref = text(b, b.getShort() & 0xffff);
        need(b, 3);
        int alg = b.get() & 0xff;
        int length = b.getShort() & 0xffff;
        need(b, length);
        byte[] ct = new byte[length];
        b.get(ct);
        WrapAlgorithm algorithm = WrapAlgorithm.fromId(alg)
            .orElseThrow(() -> new IllegalArgumentException("unknown wrap algorithm " + alg));
        wrappings.add(new WrappedKey(provider, KeyReference.parse(ref), algorithm, ct));
      }
      if (b.hasRemaining()) {
        throw new IllegalArgumentException("trailing bytes after the record");
      }
      return new DataKeyRecord(DataKeyId.of(id), wrappings, createdAt, createdBy, slots);
    } catch (java.nio.BufferUnderflowException | java.time.DateTimeException e) {
      throw new IllegalArgumentException("malformed data key record");
    }
  }

  private static void need(ByteBuffer b, int n) {
    if (b.remaining() < n) {
      throw new IllegalArgumentException("truncated data key record");
    }
  }

  private static String text(ByteBuffer b, int length) {
    need(b, length);
    byte[] t = new byte[length];
    b.get(t);
    for (byte c : t) {
      if (c < 0x20 || c >= 0x7f) {
        throw new IllegalArgumentException("non-ASCII text in a data key record");
      }
    }
    return new String(t, StandardCharsets.US_ASCII);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
