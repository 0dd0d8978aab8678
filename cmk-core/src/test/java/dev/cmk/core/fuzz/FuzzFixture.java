package dev.cmk.core.fuzz;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.RangeReader;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.MemoryChannel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.Properties;

/**
 * What the fuzz tests share: a provider holding the committed test-only key (the golden-envelope
 * key, so the seed corpus decrypts on every machine), a decrypt-only {@link EnvelopeCrypto} as the
 * target, and the per-thread allocation counter used to prove that no call allocates in
 * proportion to a length field nobody authenticated.
 */
final class FuzzFixture {
  /** Provider id the seed envelopes name. */
  static final String PROVIDER_ID = "fuzz";
  /** Associated data every seed envelope was made with. */
  static final byte[] AAD = "cmk-fuzz".getBytes(StandardCharsets.US_ASCII);
  /** Upper bound of the envelope header (docs/envelope-format.md: 85 to 4096 bytes). */
  static final int MAX_HEADER_LENGTH = 4096;
  /**
   * Heap a single call may allocate besides what is proportional to the input it was given: the
   * header copy, an RSA unwrap, cipher set-up and, once a header authenticated, two segment
   * buffers of at most 64 KiB (the largest segment size in the seed corpus; a fuzzer cannot forge
   * an authenticated header with a larger one). Claimed lengths of 16 MiB segments or 2 GiB
   * bodies would blow through it.
   */
  static final long FIXED_ALLOCATION_ALLOWANCE = 4L * 1024 * 1024;

  static final ManualClock CLOCK = ManualClock.create();
  static final InMemoryKeyProvider PROVIDER =
      InMemoryKeyProvider.builder().id(PROVIDER_ID).clock(CLOCK).build();
  /** {@code local:fuzz-kek/00000001}: the first (and only) version the provider hands out. */
  static final KeyReference KEY = PROVIDER.manager().importKey("fuzz-kek", testKey());
  /** Decrypt-only: no write key, so no guard state changes between fuzz inputs. */
  static final EnvelopeCrypto READER =
      EnvelopeCrypto.builder().provider(PROVIDER).clock(CLOCK).build();

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  static {
    warmUp();
  }

  private FuzzFixture() {}

  /** A writer with the fixed key, for seed generation and the size-limit tests. */
  static EnvelopeCrypto writer(int segmentSize) {
    return EnvelopeCrypto.builder()
        .provider(PROVIDER)
        .writeKey(KEY)
        .clock(CLOCK)
        .segmentSize(segmentSize)
        .build();
  }

  /** Deterministic plaintext of {@code length} bytes (what the valid seeds carry). */
  static byte[] plaintext(int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i * 31 + 7);
    }
    return b;
  }

  /** Bytes allocated on the heap by the current thread so far. */
  static long allocatedBytes() {
    return THREADS.getCurrentThreadAllocatedBytes();
  }

  /** A fuzz target body: deterministic in its input, may throw. */
  @FunctionalInterface
  interface Target {
    void run() throws Exception;
  }

  /**
   * Runs {@code target} (everything one fuzz input does, checks included) and fails if it
   * allocated more than {@link #FIXED_ALLOCATION_ALLOWANCE} plus four times its {@code
   * inputLength} bytes of input. One-time costs are not proportional to anything, so an input
   * over the bound is run once more and fails only if it is over again: when fuzzing, the first
   * use of a code path loads and instruments classes on the calling thread, and the first unwrap
   * of a data key fills the cache; an allocation that follows a length field repeats.
   */
  static void withBoundedAllocation(long inputLength, String what, Target target)
      throws Exception {
    long bound = FIXED_ALLOCATION_ALLOWANCE + 4 * inputLength;
    long allocated = measure(target);
    if (allocated > bound) {
      allocated = measure(target);
      if (allocated > bound) {
        throw new AssertionError(what + " allocated " + allocated + " bytes for " + inputLength
            + " bytes of input (bound " + bound + ")");
      }
    }
  }

  private static long measure(Target target) throws Exception {
    long before = allocatedBytes();
    target.run();
    return allocatedBytes() - before;
  }

  /** Loads the test-only RSA key committed beside the golden envelopes. */
  static KeyPair testKey() {
    try (InputStream in = FuzzFixture.class.getResourceAsStream("/golden/golden-kek.properties")) {
      if (in == null) {
        throw new IllegalStateException("missing test resource golden/golden-kek.properties");
      }
      Properties p = new Properties();
      p.load(in);
      KeyFactory kf = KeyFactory.getInstance("RSA");
      RSAPrivateCrtKey priv = (RSAPrivateCrtKey) kf.generatePrivate(
          new PKCS8EncodedKeySpec(Base64.getDecoder().decode(p.getProperty("pkcs8"))));
      return new KeyPair(
          kf.generatePublic(new RSAPublicKeySpec(priv.getModulus(), priv.getPublicExponent())),
          priv);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Runs every decryption path once so that class loading and first-use set-up (providers,
   * cipher tables, thread-locals) are not charged to the first fuzz input.
   */
  private static void warmUp() {
    byte[] envelope = writer(256).encrypt(plaintext(600), AAD);
    try {
      READER.decrypt(envelope, AAD);
      READER.decryptingStream(new ByteArrayInputStream(envelope), AAD).readAllBytes();
      EnvelopeInfo.of(envelope);
      EnvelopeInfo.read(new ByteArrayInputStream(envelope));
      try (RangeReader r = READER.rangeReader(MemoryChannel.of(envelope), AAD)) {
        r.read(10, 300);
        r.stream(0, 600).readAllBytes();
      }
      allocatedBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
