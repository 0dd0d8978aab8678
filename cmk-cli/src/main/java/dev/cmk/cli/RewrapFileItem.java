package dev.cmk.cli;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.RewrapItem;
import dev.cmk.core.RewrapSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;

/**
 * One envelope file. The sink is a temporary file next to it; closing the sink commits only if
 * the copy is complete (its body as long as the original's), by an atomic rename over the
 * original, keeping the original's POSIX permissions. An incomplete copy is deleted and the
 * original stays as it was.
 */
final class RewrapFileItem implements RewrapItem {
  /** An envelope found by the scan: its file, id, header and size at scan time. */
  record Found(Path file, String id, EnvelopeInfo info, long size) {}

  private final Found found;
  private final ByteProgress progress;

  RewrapFileItem(Found found, ByteProgress progress) {
    this.found = found;
    this.progress = progress;
  }

  @Override
  public String id() {
    return found.id();
  }

  @Override
  public InputStream openSource() throws IOException {
    // Not through a symbolic link swapped in since the scan (the scan skips links).
    return progress.counting(Files.newInputStream(found.file(), LinkOption.NOFOLLOW_LINKS));
  }

  @Override
  public RewrapSink openSink() throws IOException {
    Path file = found.file();
    Path temp = Io.createTempSibling(file, Leftovers.REWRAP);
    FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE);
    OutputStream out = Channels.newOutputStream(ch);
    return new RewrapSink() {
      private boolean committed;

      @Override
      public OutputStream stream() {
        return out;
      }

      @Override
      public void commit() throws IOException {
        ch.force(true);
        ch.close();
        verifyComplete(temp);
        copyOwnershipAndPermissions(file, temp);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        TempFiles.release(temp);
        committed = true;
        Io.syncDirectory(file.toAbsolutePath().getParent());
      }

      @Override
      public void close() throws IOException {
        if (!committed) {
          ch.close();
          Files.deleteIfExists(temp);
          TempFiles.release(temp);
        }
      }
    };
  }

  private void verifyComplete(Path temp) throws IOException {
    EnvelopeInfo rewritten;
    try (InputStream in = Files.newInputStream(temp)) {
      rewritten = EnvelopeInfo.read(in);
    } catch (InvalidCiphertextException e) {
      throw new IOException("re-wrapped copy of " + found.id() + " is incomplete; original kept", e);
    }
    long body = found.size() - found.info().headerLength();
    if (Files.size(temp) - rewritten.headerLength() != body
        || Files.size(found.file()) != found.size()) {
      throw new IOException(
          "re-wrapped copy of " + found.id() + " is incomplete, or the file changed meanwhile;"
              + " original kept");
    }
  }

  /**
   * Gives the new copy the original's owner, group and permissions, so a service that owns its
   * files can still read them after an administrator (often root) re-wrapped them. An owner or
   * group that cannot be kept (not permitted) fails the item: the original is kept rather than
   * handed to another user.
   */
  private void copyOwnershipAndPermissions(Path from, Path to) throws IOException {
    PosixFileAttributeView source =
        Files.getFileAttributeView(from, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (source == null) {
      return;
    }
    PosixFileAttributes original = source.readAttributes();
    PosixFileAttributeView target =
        Files.getFileAttributeView(to, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    PosixFileAttributes copy = target.readAttributes();
    try {
      if (!copy.group().equals(original.group())) {
        target.setGroup(original.group());
      }
      if (!copy.owner().equals(original.owner())) {
        target.setOwner(original.owner());
      }
    } catch (IOException | SecurityException e) {
      throw new IOException(
          "cannot give the re-wrapped copy of " + found.id() + " its owner "
              + original.owner().getName() + ":" + original.group().getName()
              + " (run as that user or as root); original kept",
          e);
    }
    target.setPermissions(original.permissions());
  }
}
