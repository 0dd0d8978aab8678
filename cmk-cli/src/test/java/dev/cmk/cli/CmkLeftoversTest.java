package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code cmk rewrap} (or {@code -o} output) that was killed part-way leaves hidden temporary files;
 * the next run on the same targets removes them — and nothing else: not other hidden files, not
 * temporaries of other files or kinds, not those of a process still running, not newer ones.
 */
class CmkLeftoversTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;

  /** The id of a process that has exited (so no run of it can still be writing). */
  private static long deadPid() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("true").start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    long pid = p.pid();
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    return pid;
  }

  /** A file of {@code size} bytes, last modified {@code age} ago (negative: in the future). */
  private static Path file(Path p, int size, Duration age) throws IOException {
    byte[] b = new byte[size];
    RANDOM.nextBytes(b);
    Files.write(p, b);
    Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(age)));
    return p;
  }

  @Test
  void rewrap_interruptedRunsLeftovers_removedAndOnlyThose() throws Exception {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("archive", 2048);
    Path tree = Files.createDirectories(dir.resolve("store"));
    Path a = tree.resolve("a.cmk");
    assertEquals(0, cli.runWithInput(new byte[10_000], "encrypt", "-k", "archive", "-o", a.toString())
        .exitCode());
    cli.run("keys", "rotate", "archive");
    long dead = deadPid();
    long self = ProcessHandle.current().pid();
    Duration hour = Duration.ofHours(1);

    // What a killed run left for a.cmk: this build's name, and an earlier build's (no pid).
    Path killed = file(tree.resolve(".a.cmk.cmk-rewrap." + dead + ".4711.tmp"), 70_000, hour);
    Path legacy = file(tree.resolve(".a.cmk.8273645501.cmk-rewrap.tmp"), 5_000, hour);
    // What must stay.
    Path running = file(tree.resolve(".a.cmk.cmk-rewrap." + self + ".77.tmp"), 10, hour);
    Path newer = file(tree.resolve(".a.cmk.cmk-rewrap." + dead + ".88.tmp"), 10, hour.negated());
    Path otherKind = file(tree.resolve(".a.cmk.cmk-out." + dead + ".5.tmp"), 10, hour);
    Path otherFile = file(tree.resolve(".gone.cmk.cmk-rewrap." + dead + ".9.tmp"), 10, hour);
    Path unrelated = file(tree.resolve(".a.cmk.swp"), 10, hour);
    Path lookalike = file(tree.resolve(".a.cmk.cmk-rewrap.tmp"), 10, hour);
    Path target = file(dir.resolve("elsewhere"), 10, hour);
    Path link = tree.resolve(".a.cmk.cmk-rewrap." + dead + ".6.tmp");
    Files.createSymbolicLink(link, target);
    List<Path> kept = List.of(running, newer, otherKind, otherFile, unrelated, lookalike, link);
    Map<Path, byte[]> before = new java.util.HashMap<>();
    for (Path p : kept) {
      if (!Files.isSymbolicLink(p)) {
        before.put(p, Files.readAllBytes(p));
      }
    }

    CliFixture.Result r = cli.run("rewrap", "-k", "archive", "--format", "json", tree.toString());

    assertEquals(ExitCode.OK, r.exitCode(), r.toString());
    Map<String, Object> j = Json.parse(r);
    assertAll(
        () -> assertEquals(2L, Json.integer(j.get("staleTempFilesRemoved"))),
        () -> assertEquals(75_000L, Json.integer(j.get("staleTempBytesRemoved"))),
        () -> assertEquals(1L, Json.integer(j.get("rewrapped"))),
        () -> assertEquals(2L, Json.integer(j.get("notEnvelopes")), ".a.cmk.swp and the lookalike"
            + " are files to look at; cmk's temporaries (of any run) are never taken for envelopes"),
        () -> assertFalse(Files.exists(killed), "left by a killed run"),
        () -> assertFalse(Files.exists(legacy), "left by a killed run of an earlier build"));
    for (Path p : kept) {
      assertTrue(Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS), "kept: " + p);
      if (before.containsKey(p)) {
        assertArrayEquals(before.get(p), Files.readAllBytes(p), "unchanged: " + p);
      }
    }
    assertTrue(Files.exists(target), "a link's target is never touched");

    // The text summary says it too.
    file(tree.resolve(".a.cmk.cmk-rewrap." + dead + ".4712.tmp"), 2048, hour);
    CliFixture.Result text = cli.run("rewrap", "-k", "archive", tree.toString());
    assertEquals(ExitCode.OK, text.exitCode(), text.toString());
    assertTrue(text.out().contains("  stale temp files 1  (2.0 KiB left by an interrupted run,"
        + " removed)"), text.out());
  }

  @Test
  void rewrap_leftoverOfAFileNotInThisRun_stays() throws Exception {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("k", 2048);
    Path tree = Files.createDirectories(dir.resolve("store"));
    Path a = tree.resolve("a.cmk");
    Path b = tree.resolve("b.cmk");
    for (Path p : List.of(a, b)) {
      assertEquals(0, cli.runWithInput(new byte[10], "encrypt", "-k", "k", "-o", p.toString()).exitCode());
    }
    long dead = deadPid();
    Path ofB = file(tree.resolve(".b.cmk.cmk-rewrap." + dead + ".1.tmp"), 10, Duration.ofHours(1));
    Path ofA = file(tree.resolve(".a.cmk.cmk-rewrap." + dead + ".1.tmp"), 10, Duration.ofHours(1));

    CliFixture.Result r = cli.run("rewrap", "-k", "k", a.toString());

    assertEquals(ExitCode.OK, r.exitCode(), r.toString());
    assertFalse(Files.exists(ofA));
    assertTrue(Files.exists(ofB), "b.cmk is not part of this run");
  }

  @Test
  void decryptToFile_interruptedOutputsLeftover_removed() throws Exception {
    CliFixture cli = new CliFixture(dir);
    cli.createKey("k", 2048);
    Path env = dir.resolve("x.cmk");
    assertEquals(0, cli.runWithInput(new byte[10], "encrypt", "-k", "k", "-o", env.toString()).exitCode());
    long dead = deadPid();
    // A killed "decrypt -o out.bin" left part of a plaintext behind.
    Path partial = file(dir.resolve(".out.bin.cmk-out." + dead + ".3.tmp"), 100, Duration.ofHours(1));
    Path live = file(dir.resolve(".out.bin.cmk-out." + ProcessHandle.current().pid() + ".4.tmp"), 10,
        Duration.ofHours(1));

    CliFixture.Result r = cli.run("decrypt", "-o", dir.resolve("out.bin").toString(), env.toString());

    assertEquals(ExitCode.OK, r.exitCode(), r.toString());
    assertFalse(Files.exists(partial));
    assertTrue(Files.exists(live));
    assertTrue(r.stderr().contains("removed 1 temporary file(s) an interrupted run left"), r.stderr());
  }

  @Test
  void temporaryFiles_namedForTheirTargetKindAndProcess() throws Exception {
    Path target = dir.resolve("report.cmk");
    Path temp = Io.createTempSibling(target, Leftovers.REWRAP);
    try {
      String name = temp.getFileName().toString();
      assertTrue(name.startsWith(".report.cmk.cmk-rewrap." + ProcessHandle.current().pid() + "."), name);
      assertTrue(name.endsWith(".tmp"), name);
      assertTrue(Leftovers.isTemporary(name));
      assertEquals(dir, temp.getParent());
      assertEquals(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"),
          Files.getPosixFilePermissions(temp));
    } finally {
      Files.deleteIfExists(temp);
      TempFiles.release(temp);
    }
  }
}
