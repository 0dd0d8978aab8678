package dev.cmk.cli;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Inputs and outputs named on the command line: a file, or {@code -} for stdin/stdout. */
final class Io {
  /**
   * {@code out} behind a stream whose {@code close()} only flushes: for handing stdout, or a file
   * not yet committed, to code that closes what it is given.
   */
  static OutputStream keepOpen(OutputStream out) {
    return new FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    };
  }

  /** The name that means standard input or output. */
  static final String STDIO = "-";

  private Io() {}

  /** Opens an input; {@code -} is stdin (not closed by closing the returned stream). */
  static InputStream openInput(String name, Context ctx) throws IOException {
    if (STDIO.equals(name)) {
      return new java.io.FilterInputStream(ctx.in()) {
        @Override
        public void close() {
          // stdin stays open
        }
      };
    }
    Path p = Path.of(name);
    if (Files.isDirectory(p)) {
      throw new CliException(ExitCode.IO, name + " is a directory");
    }
    return Files.newInputStream(p);
  }

  /**
   * Refuses binary output to a terminal: an envelope or a plaintext file would scramble the
   * screen (and a plaintext would end up in the terminal's scrollback).
   *
   * @param output the {@code -o} value
   * @param what what would be written, e.g. {@code the envelope}
   * @throws CliException (usage) when {@code output} is stdout and stdout is a terminal
   */
  static void refuseBinaryToTerminal(String output, Context ctx, String what) {
    if (STDIO.equals(output) && ctx.stdoutIsTerminal()) {
      throw new CliException(
          ExitCode.USAGE,
          "not writing " + what + " (binary) to the terminal: give -o FILE, or send stdout to a"
              + " pipe or a file (| or > FILE)");
    }
  }

  /** The size of input {@code name}, or -1 for stdin or when it cannot be told. */
  static long sizeOf(String name) {
    if (STDIO.equals(name)) {
      return -1;
    }
    try {
      return Files.size(Path.of(name));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * An output that is either stdout or a file written atomically: bytes go to a temporary file in
   * the target's directory, {@link #commit()} flushes it to disk and renames it over the target;
   * {@link #close()} without commit deletes it, so a failed command never leaves a partial or
   * unauthenticated file behind.
   */
  static final class Output implements AutoCloseable {
    private final Context ctx;
    private final @Nullable Path target; // null for stdout
    private final Path temp;
    private final FileChannel channel;
    private final OutputStream stream;
    private final boolean replace;
    private boolean committed;

    private Output(Context ctx, Path target, Path temp, FileChannel channel, boolean replace) {
      this.ctx = ctx;
      this.target = target;
      this.temp = temp;
      this.channel = channel;
      this.replace = replace;
      OutputStream raw = channel == null ? ctx.out() : Channels.newOutputStream(channel);
      // Closing the stream given to EnvelopeCrypto must not close stdout or the channel before
      // commit.
      this.stream = keepOpen(raw);
    }

    /**
     * Opens {@code name} for writing.
     *
     * @param force whether an existing file may be replaced
     */
    static Output open(String name, boolean force, Context ctx) throws IOException {
      if (STDIO.equals(name)) {
        return new Output(ctx, null, null, null, false);
      }
      Path target = Path.of(name).toAbsolutePath();
      if (!force && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        throw new CliException(
            ExitCode.IO, "output file " + name + " exists (use --force to replace it)");
      }
      if (Files.isDirectory(target)) {
        throw new CliException(ExitCode.IO, name + " is a directory");
      }
      Leftovers.Removed removed =
          Leftovers.remove(java.util.List.of(target), Leftovers.OUTPUT, ctx.clock().instant());
      if (removed.files() > 0) {
        ctx.err().println("cmk: removed " + removed.files() + " temporary file(s) an interrupted"
            + " run left for " + name);
      }
      Path temp = createTempSibling(target, Leftovers.OUTPUT);
      FileChannel ch =
          FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
      return new Output(ctx, target, temp, ch, force);
    }

    OutputStream stream() {
      return stream;
    }

    /** Makes the output visible: flushes stdout, or syncs and renames the temporary file. */
    void commit() throws IOException {
      stream.flush();
      if (target == null) {
        if (ctx.out().checkError()) {
          throw new IOException("writing to standard output failed");
        }
        committed = true;
        return;
      }
      channel.force(true);
      channel.close();
      if (replace) {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        TempFiles.release(temp);
      } else {
        // Never replaces: a hard link fails if a file appeared meanwhile. File systems without
        // hard links get an atomic rename instead.
        try {
          Files.createLink(target, temp);
          Files.delete(temp);
          TempFiles.release(temp);
        } catch (FileAlreadyExistsException e) {
          throw new CliException(
              ExitCode.IO,
              "output file " + target + " appeared while writing (use --force to replace it)");
        } catch (IOException | UnsupportedOperationException e) {
          Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
          TempFiles.release(temp);
        }
      }
      committed = true;
      syncDirectory(target.toAbsolutePath().getParent());
    }

    @Override
    public void close() throws IOException {
      if (target != null && !committed) {
        try {
          channel.close();
        } finally {
          Files.deleteIfExists(temp);
          TempFiles.release(temp);
        }
      }
    }
  }

  /**
   * Makes a rename in {@code dir} durable (fsync of the directory), so a file reported as
   * written survives a power loss. Best effort where the platform cannot open a directory.
   */
  static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // e.g. Windows cannot open a directory; its renames are journaled by NTFS
    }
  }

  /**
   * Creates an empty, owner-only temporary file next to {@code target} (same directory, so that a
   * rename is atomic), named {@code .TARGET.KIND.PID.RANDOM.tmp} so that a later run can tell it
   * belongs to {@code target} and to a process that is gone ({@link Leftovers}). The file is
   * deleted if this process is interrupted before the caller calls {@link TempFiles#release}.
   *
   * @param kind {@link Leftovers#REWRAP} or {@link Leftovers#OUTPUT}
   */
  static Path createTempSibling(Path target, String kind) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    String prefix = Leftovers.prefix(target, kind);
    Path temp;
    if (Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class)) {
      Set<PosixFilePermission> perms = PosixFilePermissions.fromString("rw-------");
      temp = Files.createTempFile(dir, prefix, ".tmp", PosixFilePermissions.asFileAttribute(perms));
    } else {
      temp = Files.createTempFile(dir, prefix, ".tmp");
    }
    TempFiles.register(temp);
    return temp;
  }
}
