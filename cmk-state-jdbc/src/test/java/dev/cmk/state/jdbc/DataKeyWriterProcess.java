package dev.cmk.state.jdbc;

import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.InMemoryKeyProvider;
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
 * One writer of {@link DataKeyWritersProcessIT}, in its own JVM: imports the shared RSA key pair
 * (so every writer has the same key version), builds an {@link EnvelopeCrypto} that shares
 * data-key records through a {@link JdbcDataKeyStore} with {@value #MESSAGES_PER_SLOT} messages
 * per writer slot, prints {@code READY}, waits for {@code GO} on standard input, then writes its
 * envelopes from {@value #THREADS} threads into files {@code <name>-<i>.env} (plaintext {@code
 * <name>/<i>}, associated data the name) and prints {@code DONE <data keys created> <store calls:
 * create read newestWritable replaceWon replaceLost>}.
 */
public final class DataKeyWriterProcess {
  static final int MESSAGES_PER_SLOT = 50;
  static final int THREADS = 2;

  private DataKeyWriterProcess() {}

  /**
   * Runs the writer.
   *
   * @param args JDBC URL, user, table, key pair file, key name, writer name, envelope count,
   *     output directory (the password comes from {@code WRITER_PASSWORD})
   * @throws Exception if anything fails (the parent sees the exit code and standard error)
   */
  public static void main(String[] args) throws Exception {
    String name = args[5];
    int count = Integer.parseInt(args[6]);
    Path out = Path.of(args[7]);
    InMemoryKeyProvider keys = InMemoryKeyProvider.create();
    KeyReference key = keys.manager().importKey(args[4], readKeyPair(Path.of(args[3])));
    CountingDataKeyStore store = new CountingDataKeyStore(JdbcDataKeyStore.builder()
        .dataSource(TestDatabases.dataSource(args[0], args[1],
            System.getenv().getOrDefault("WRITER_PASSWORD", "")))
        .table(args[2]).build());
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(keys).writeKey(key)
        .dataKeyStore(store).shareDataKeyRecords(true)
        .dataKeyLimits(new DataKeyLimits(MESSAGES_PER_SLOT, DataKeyLimits.DEFAULT.maxBytes(),
            DataKeyLimits.DEFAULT.maxAge()))
        .build()) {
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
      System.out.println("READY");
      System.out.flush();
      if (!"GO".equals(in.readLine())) {
        throw new IllegalStateException("expected GO");
      }
      byte[] aad = name.getBytes(StandardCharsets.US_ASCII);
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int first = t;
        done.add(pool.submit(() -> {
          for (int i = first; i < count; i += THREADS) {
            byte[] envelope = crypto.encrypt(
                (name + "/" + i).getBytes(StandardCharsets.US_ASCII), aad);
            Files.write(out.resolve(name + "-" + i + ".env"), envelope);
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(2, TimeUnit.MINUTES);
      }
      pool.shutdown();
      System.out.println("DONE " + crypto.diagnostics().dataKeysCreated() + " "
          + store.counts());
      System.out.flush();
    }
  }

  /** Writes {@code pair} as two Base64 lines: PKCS#8 private key, X.509 public key. */
  static void writeKeyPair(KeyPair pair, Path file) throws Exception {
    Base64.Encoder b64 = Base64.getEncoder();
    Files.write(file, List.of(b64.encodeToString(pair.getPrivate().getEncoded()),
        b64.encodeToString(pair.getPublic().getEncoded())));
  }

  static KeyPair readKeyPair(Path file) throws Exception {
    List<String> lines = Files.readAllLines(file);
    KeyFactory rsa = KeyFactory.getInstance("RSA");
    Base64.Decoder b64 = Base64.getDecoder();
    return new KeyPair(
        rsa.generatePublic(new X509EncodedKeySpec(b64.decode(lines.get(1)))),
        rsa.generatePrivate(new PKCS8EncodedKeySpec(b64.decode(lines.get(0)))));
  }
}
