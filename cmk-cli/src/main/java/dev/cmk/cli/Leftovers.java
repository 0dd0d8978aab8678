package dev.cmk.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Temporary files that a killed {@code cmk} run left next to its targets, and their removal by the
 * next run on the same targets.
 *
 * <p>{@code cmk} writes every output file through a hidden sibling named {@code
 * .TARGET.KIND.PID.RANDOM.tmp} ({@code KIND} is {@code cmk-rewrap} or {@code cmk-out}, {@code PID}
 * the writing process). Earlier builds wrote {@code .TARGET.RANDOM.KIND.tmp} (no process id). A
 * file is a leftover, and is removed, only if all of these hold:
 *
 * <ul>
 *   <li>its name has exactly one of these forms, with the {@code KIND} the command asks for;
 *   <li>its {@code TARGET} is one of the files this run works on, in the same directory;
 *   <li>it is a regular file (not a link, not a directory);
 *   <li>it was last modified before this run started;
 *   <li>the process that wrote it is not running on this host (and is not this one). Names of
 *       earlier builds carry no process id: for them the age alone decides.
 * </ul>
 *
 * Everything else in the directory (other hidden files, leftovers of other files, of other kinds,
 * or of a run still going) is left alone.
 */
final class Leftovers {
  /** The kind of temporary file {@code rewrap} writes. */
  static final String REWRAP = "cmk-rewrap";
  /** The kind of temporary file {@code encrypt -o} and {@code decrypt -o} write. */
  static final String OUTPUT = "cmk-out";

  private static final Pattern CURRENT =
      Pattern.compile("\\.(.+)\\.(cmk-rewrap|cmk-out)\\.(\\d{1,19})\\.\\d+\\.tmp");
  private static final Pattern LEGACY = Pattern.compile("\\.(.+)\\.\\d+\\.(cmk-rewrap|cmk-out)\\.tmp");

  /**
   * What was removed.
   *
   * @param files how many leftovers
   * @param bytes their total size
   */
  record Removed(int files, long bytes) {
    static final Removed NONE = new Removed(0, 0);
  }

  /** A parsed temporary-file name. */
  private record Name(String target, String kind, OptionalLong pid) {}

  private Leftovers() {}

  /** The name prefix of a new temporary file for {@code target} (random digits and ".tmp" follow). */
  static String prefix(Path target, String kind) {
    return "." + target.getFileName() + "." + kind + "." + ProcessHandle.current().pid() + ".";
  }

  /** Whether {@code fileName} is a temporary file of {@code cmk} (this build's or an earlier one's). */
  static boolean isTemporary(String fileName) {
    return parse(fileName).isPresent();
  }

  private static Optional<Name> parse(String fileName) {
    Matcher m = CURRENT.matcher(fileName);
    if (m.matches()) {
      try {
        return Optional.of(new Name(m.group(1), m.group(2), OptionalLong.of(Long.parseLong(m.group(3)))));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
    m = LEGACY.matcher(fileName);
    if (m.matches()) {
      return Optional.of(new Name(m.group(1), m.group(2), OptionalLong.empty()));
    }
    return Optional.empty();
  }

  /**
   * Removes the leftovers of kind {@code kind} that belong to {@code targets} (see the class
   * comment for the rules).
   *
   * @param targets the files this run works on
   * @param kind {@link #REWRAP} or {@link #OUTPUT}
   * @param runStart when this run started
   * @return what was removed
   * @throws IOException if a directory cannot be listed or a leftover cannot be deleted
   */
  static Removed remove(Collection<Path> targets, String kind, Instant runStart) throws IOException {
    Map<Path, Set<String>> byDirectory = new LinkedHashMap<>();
    for (Path t : targets) {
      Path abs = t.toAbsolutePath().normalize();
      if (abs.getParent() != null && abs.getFileName() != null) {
        byDirectory.computeIfAbsent(abs.getParent(), d -> new LinkedHashSet<>())
            .add(abs.getFileName().toString());
      }
    }
    int files = 0;
    long bytes = 0;
    long self = ProcessHandle.current().pid();
    for (Map.Entry<Path, Set<String>> e : byDirectory.entrySet()) {
      if (!Files.isDirectory(e.getKey())) {
        continue;
      }
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(e.getKey(), p -> isTemporary(p.getFileName().toString()))) {
        for (Path candidate : entries) {
          Name n = parse(candidate.getFileName().toString()).orElseThrow();
          if (!n.kind().equals(kind) || !e.getValue().contains(n.target())) {
            continue;
          }
          if (n.pid().isPresent()) {
            long pid = n.pid().getAsLong();
            if (pid == self || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
              continue; // a run still going (here, or elsewhere in this process)
            }
          }
          BasicFileAttributes a;
          try {
            a = Files.readAttributes(candidate, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          } catch (java.nio.file.NoSuchFileException gone) {
            continue;
          }
          if (!a.isRegularFile() || !a.lastModifiedTime().toInstant().isBefore(runStart)) {
            continue;
          }
          if (Files.deleteIfExists(candidate)) {
            files++;
            bytes += a.size();
          }
        }
      }
    }
    return files == 0 ? Removed.NONE : new Removed(files, bytes);
  }
}
