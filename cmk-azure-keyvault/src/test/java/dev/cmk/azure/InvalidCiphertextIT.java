package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Key Vault rejecting the wrapped bytes ({@code unwrapKey} answering 400), through the real SDK:
 * the provider throws {@link InvalidCiphertextException} with the uniform message and no cause, so
 * a caller that logs causes learns nothing an envelope tag failure would not tell it; the SDK error
 * goes to the debug log as status and error code only.
 */
class InvalidCiphertextIT {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static LoopbackKeyVault server;
  private static LoopbackVault vault;
  private static VaultIdentity app;

  /** What the provider logs: slf4j-simple writes to the current System.err (not cached). */
  private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
  private PrintStream previousErr;

  @BeforeAll
  static void setUp() {
    server = LoopbackFixture.server();
    vault = server.vault(LoopbackFixture.VAULT);
    app = server.createApplication("cmk-invalid-ciphertext");
    vault.grant(app, KeyPermission.cryptoServiceEncryptionUser());
  }

  @BeforeEach
  void captureDebugLog() {
    previousErr = System.err;
    System.setErr(new PrintStream(new TeeOutputStream(previousErr, logged), true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreLog() {
    System.setErr(previousErr);
  }

  /** Writes to the original stream and the capture. */
  private static final class TeeOutputStream extends java.io.OutputStream {
    private final java.io.OutputStream first;
    private final ByteArrayOutputStream second;

    TeeOutputStream(java.io.OutputStream first, ByteArrayOutputStream second) {
      this.first = first;
      this.second = second;
    }

    @Override
    public void write(int b) throws java.io.IOException {
      first.write(b);
      synchronized (second) {
        second.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws java.io.IOException {
      first.write(b, off, len);
      synchronized (second) {
        second.write(b, off, len);
      }
    }
  }

  private List<String> loggedLines() {
    synchronized (logged) {
      return logged.toString(StandardCharsets.UTF_8).lines().toList();
    }
  }

  static Stream<Arguments> corruptions() {
    return Stream.of(
        Arguments.of("one bit flipped", (UnaryOperator<byte[]>) c -> {
          byte[] b = c.clone();
          b[b.length / 2] ^= 0x01;
          return b;
        }),
        Arguments.of("truncated", (UnaryOperator<byte[]>) c -> Arrays.copyOf(c, c.length - 1)),
        Arguments.of("all zero", (UnaryOperator<byte[]>) c -> new byte[c.length]),
        Arguments.of("wrapped under another key", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corruptions")
  void unwrap_wrappedKeyKeyVaultRejects_throwsInvalidCiphertextWithoutCause(
      String name, UnaryOperator<byte[]> corrupt) {
    KeyReference key = vault.createRsaKey("ic-" + HexFormat.of().toHexDigits(RANDOM.nextInt()), 2048);
    try (AzureKeyVaultProvider p =
        LoopbackFixture.providerBuilder()
            .credential(LoopbackFixture.staticCredential(app))
            .retryOptions(LoopbackFixture.NO_SDK_RETRIES)
            .build()) {
      byte[] dataKey = new byte[32];
      RANDOM.nextBytes(dataKey);
      WrappedKey good = p.wrap(key, SecretBytes.wrapOwned(dataKey.clone()));
      byte[] bad;
      if (corrupt != null) {
        bad = corrupt.apply(good.ciphertext());
      } else {
        KeyReference other = vault.createRsaKey("ic-other-" + HexFormat.of().toHexDigits(RANDOM.nextInt()), 2048);
        bad = p.wrap(other, SecretBytes.wrapOwned(dataKey.clone())).ciphertext();
      }
      WrappedKey rejected = new WrappedKey(AzureKeyVaultProvider.ID, key, good.algorithm(), bad);
      vault.clearRequests();

      InvalidCiphertextException e = assertThrows(InvalidCiphertextException.class, () -> p.unwrap(rejected));

      assertNull(e.getCause(), "no vendor exception behind InvalidCiphertextException");
      assertEquals(InvalidCiphertextException.MESSAGE, e.getMessage());
      assertEquals(0, e.getSuppressed().length);
      assertTrue(
          vault.requests().stream().anyMatch(r -> r.path().endsWith("/unwrapkey") && r.status() == 400),
          "Key Vault itself rejected the bytes: " + vault.requests());
      List<String> debug =
          loggedLines().stream().filter(l -> l.contains("cmk.azure.unwrap-rejected")).toList();
      assertTrue(
          debug.stream().anyMatch(l -> l.contains("DEBUG")
              && l.contains("key=" + key)
              && l.contains("answer=HTTP 400 BadParameter")),
          "the SDK error is logged at debug as an event with key-values: " + loggedLines());
      String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(bad);
      assertFalse(
          loggedLines().stream().anyMatch(l -> l.contains(encoded.substring(0, 16))),
          "no wrapped bytes in the log");
    }
  }
}
