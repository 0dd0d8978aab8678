package dev.cmk.state.azureblob;

import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.azurite.Azurite;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One writer of {@link BlobDataKeyWritersProcessIT}, in its own JVM: imports the shared RSA key
 * pair (so every writer has the same key version), builds an {@link EnvelopeCrypto} that shares
 * data-key records through a {@link BlobDataKeyStore} ({@value #MESSAGES_PER_SLOT} messages per
 * writer slot), prints {@code READY}, waits for {@code GO}, writes its envelopes from two threads
 * into files {@code <name>-<i>.env} (plaintext {@code <name>/<i>}, associated data the name) and
 * prints {@code DONE <records made>}. The connection string comes from {@code
 * CMK_TEST_BLOB_CONNECTION_STRING}.
 */
public final class BlobDataKeyWriterMain {
  static final int MESSAGES_PER_SLOT = 25;

  private BlobDataKeyWriterMain() {}

  /**
   * Runs the writer.
   *
   * @param args container, key pair file, key name, writer name, envelope count, output folder
   * @throws Exception on any failure (exit code 1)
   */
  public static void main(String[] args) throws Exception {
    String name = args[3];
    int count = Integer.parseInt(args[4]);
    Path out = Path.of(args[5]);
    InMemoryKeyProvider keys = InMemoryKeyProvider.create();
    KeyReference key = keys.manager().importKey(args[2], readKeyPair(Path.of(args[1])));
    BlobDataKeyStore store = BlobDataKeyStore.builder().containerClient(
        Azurite.client(System.getenv("CMK_TEST_BLOB_CONNECTION_STRING"), args[0])).build();
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(keys).writeKey(key)
        .dataKeyStore(store).shareDataKeyRecords(true)
        .dataKeyLimits(new DataKeyLimits(MESSAGES_PER_SLOT, DataKeyLimits.DEFAULT.maxBytes(),
            DataKeyLimits.DEFAULT.maxAge()))
        .build()) {
      System.out.println("READY");
      System.out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
      if (!"GO".equals(in.readLine())) {
        throw new IllegalStateException("no GO");
      }
      byte[] aad = name.getBytes(StandardCharsets.US_ASCII);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        int first = t;
        done.add(pool.submit(() -> {
          for (int i = first; i < count; i += 2) {
            Files.write(out.resolve(name + "-" + i + ".env"), crypto.encrypt(
                (name + "/" + i).getBytes(StandardCharsets.US_ASCII), aad));
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(2, TimeUnit.MINUTES);
      }
      pool.shutdown();
      System.out.println("DONE " + crypto.diagnostics().dataKeysCreated());
      System.out.flush();
    }
    System.exit(0);
  }

  /** Writes {@code pair} as two Base64 lines: PKCS#8 private key, X.509 public key. */
  static void writeKeyPair(KeyPair pair, Path file) throws Exception {
    Base64.Encoder b64 = Base64.getEncoder();
    Files.write(file, List.of(b64.encodeToString(pair.getPrivate().getEncoded()),
        b64.encodeToString(pair.getPublic().getEncoded())));
  }

  private static KeyPair readKeyPair(Path file) throws Exception {
    List<String> lines = Files.readAllLines(file);
    KeyFactory rsa = KeyFactory.getInstance("RSA");
    Base64.Decoder b64 = Base64.getDecoder();
    return new KeyPair(
        rsa.generatePublic(new X509EncodedKeySpec(b64.decode(lines.get(1)))),
        rsa.generatePrivate(new PKCS8EncodedKeySpec(b64.decode(lines.get(0)))));
  }
}
