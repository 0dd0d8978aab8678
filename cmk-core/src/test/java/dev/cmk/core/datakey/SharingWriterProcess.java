package dev.cmk.core.datakey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.TestKeyPairs;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintStream;
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
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Format v2 writers in JVM processes of their own, sharing data-key records through the store
 * under test: the multi-process test of every {@link DataKeyStore} implementation (cmk-core's test
 * jar; each store module supplies a {@link StoreFactory} and checks the envelopes).
 *
 * <p>A writer ({@link #main}) imports the shared RSA key pair (so every writer has the same key
 * version), builds an {@link EnvelopeCrypto} that shares records through the factory's store
 * (wrapped in a {@link CountingDataKeyStore}), prints {@code READY}, waits for {@code GO} on
 * standard input, writes its envelopes from {@value #THREADS} threads into files {@code
 * <name>-<i>.env} (plaintext {@code <name>/<i>}, associated data the name) and prints {@code DONE
 * <data keys created> <store calls: create read newestWritable replaceWon replaceLost>}. {@link
 * Launch#run} starts the writers, lets them go at once and sums what they report; the test then
 * reads every envelope back.
 */
public final class SharingWriterProcess {
  /** Threads per writer process. */
  public static final int THREADS = 2;

  /** Numbers in a writer's {@code DONE} line: records made, then the five store-call counts. */
  public static final int DONE_NUMBERS = 6;

  private SharingWriterProcess() {}

  /** Opens the store under test in a writer process; needs a public no-argument constructor. */
  public interface StoreFactory {
    /**
     * Opens the store.
     *
     * @param args the store arguments given to {@link Launch}
     * @return the store
     * @throws Exception if it cannot be opened (the writer fails)
     */
    DataKeyStore open(List<String> args) throws Exception;
  }

  /**
   * What the writers wrote.
   *
   * @param keyName the name the writers imported {@link TestKeyPairs#rsa2048()} under
   * @param envelopes the folder of their envelopes, {@code <writer>-<i>.env}
   * @param sums the sums over the writers of the {@value #DONE_NUMBERS} numbers of {@code DONE}:
   *     records made, then store calls create, read, newestWritable, replace won, replace lost
   */
  public record Written(String keyName, Path envelopes, long[] sums) {
    /** {@return the data-key records the writers made} */
    public long recordsMade() {
      return sums[0];
    }
  }

  /**
   * How to start the writers.
   *
   * @param factory opens the store in each writer
   * @param storeArgs the factory's arguments
   * @param env variables added to each writer's environment (secrets stay off its command line)
   * @param messagesPerSlot the writers' {@link DataKeyLimits#maxMessages()}
   * @param errors each writer's standard error goes to {@code <errors><name>.err}
   */
  public record Launch(Class<? extends StoreFactory> factory, List<String> storeArgs,
      Map<String, String> env, int messagesPerSlot, String errors) {

    /**
     * Runs the writers to the end: starts them, says {@code GO} when all are ready, and checks
     * that each reported {@code DONE} and exited with 0. They wrap their data keys under {@link
     * TestKeyPairs#rsa2048()} of this JVM, imported under a key name of this run's own (so
     * records of earlier runs, under another key pair, are never joined).
     *
     * @param count how many writers, one process each, named {@code writera}, {@code writerb}...
     * @param perWriter envelopes per writer
     * @param dir an empty folder for the key pair file and the {@code envelopes} folder
     * @return what they wrote
     */
    public Written run(int count, int perWriter, Path dir) throws Exception {
      String keyName = "writers-" + Long.toHexString(System.nanoTime());
      Path keyPair = dir.resolve("key-pair");
      writeKeyPair(TestKeyPairs.rsa2048(), keyPair);
      Path out = Files.createDirectory(dir.resolve("envelopes"));
      List<String> names = new ArrayList<>();
      for (int w = 0; w < count; w++) {
        names.add("writer" + (char) ('a' + w));
      }
      List<Process> writers = new ArrayList<>();
      try {
        List<BufferedReader> replies = new ArrayList<>();
        for (String name : names) {
          List<String> command = new ArrayList<>(List.of(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
              "-cp", System.getProperty("java.class.path"), SharingWriterProcess.class.getName(),
              factory.getName(), keyPair.toString(), keyName, name, Integer.toString(perWriter),
              Integer.toString(messagesPerSlot), out.toString()));
          command.addAll(storeArgs);
          ProcessBuilder pb = new ProcessBuilder(command)
              .redirectError(new File(errors + name + ".err"));
          pb.environment().putAll(env);
          Process p = pb.start();
          writers.add(p);
          replies.add(new BufferedReader(
              new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)));
        }
        for (BufferedReader r : replies) {
          assertEquals("READY", r.readLine(), "a writer did not start (" + errors + "*.err)");
        }
        for (Process p : writers) {
          new PrintStream(p.getOutputStream(), true, StandardCharsets.US_ASCII).println("GO");
        }
        long[] sums = new long[DONE_NUMBERS];
        for (BufferedReader r : replies) {
          String done = r.readLine();
          assertTrue(done != null && done.startsWith("DONE "),
              "a writer failed (" + errors + "*.err): " + done);
          String[] numbers = done.substring(5).split(" ");
          for (int i = 0; i < sums.length; i++) {
            sums[i] += Long.parseLong(numbers[i]);
          }
        }
        for (Process p : writers) {
          assertTrue(p.waitFor(60, TimeUnit.SECONDS), "a writer did not exit");
          assertEquals(0, p.exitValue());
        }
        return new Written(keyName, out, sums);
      } finally {
        writers.forEach(Process::destroyForcibly);
      }
    }
  }

  /**
   * Runs one writer.
   *
   * @param args store factory class, key pair file, key name, writer name, envelope count,
   *     messages per writer slot, output folder, then the factory's arguments
   * @throws Exception if anything fails (the parent sees the exit code and standard error)
   */
  public static void main(String[] args) throws Exception {
    StoreFactory factory = Class.forName(args[0]).asSubclass(StoreFactory.class)
        .getConstructor().newInstance();
    String name = args[3];
    int count = Integer.parseInt(args[4]);
    Path out = Path.of(args[6]);
    InMemoryKeyProvider keys = InMemoryKeyProvider.create();
    KeyReference key = keys.manager().importKey(args[2], readKeyPair(Path.of(args[1])));
    CountingDataKeyStore store = new CountingDataKeyStore(
        factory.open(List.of(args).subList(7, args.length)));
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(keys).writeKey(key)
        .dataKeyStore(store).shareDataKeyRecords(true)
        .dataKeyLimits(new DataKeyLimits(Integer.parseInt(args[5]),
            DataKeyLimits.DEFAULT.maxBytes(), DataKeyLimits.DEFAULT.maxAge()))
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
    System.exit(0); // a store's client may keep non-daemon threads
  }

  /** Writes {@code pair} as two Base64 lines: PKCS#8 private key, X.509 public key. */
  private static void writeKeyPair(KeyPair pair, Path file) throws Exception {
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
