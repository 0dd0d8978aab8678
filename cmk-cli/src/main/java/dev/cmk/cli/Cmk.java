package dev.cmk.cli;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.UnsupportedFormatException;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import picocli.CommandLine;
import org.jspecify.annotations.Nullable;

/**
 * Entry point of the {@code cmk} command-line tool. See {@code cmk-cli/README.md} for the commands
 * and {@link ExitCode} for the exit codes.
 *
 * <p><b>Security guarantees:</b> passwords and PINs are read only from files or environment
 * variables, never from arguments; no output line, error message or log line contains a password, a
 * PIN, key material or plaintext (plaintext goes only where {@code decrypt -o} sends it). Errors are
 * one line on stderr; {@code --verbose} adds the cause chain (class and message of each cause,
 * which carry no secrets either).
 *
 * <p><b>Thread safety:</b> {@link #run} may be called concurrently with different contexts.
 */
public final class Cmk {
  private Cmk() {}

  /**
   * Runs the tool and exits the JVM with its exit code.
   *
   * @param args command-line arguments
   */
  public static void main(String[] args) {
    configureLogging(args);
    Charset charset = stdoutCharset();
    PrintStream out =
        new PrintStream(
            new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
            false,
            charset);
    PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, charset);
    Context ctx =
        new Context(
            System.in,
            out,
            err,
            System::getenv,
            isTerminal("cmk.stdout.tty"),
            isTerminal("cmk.stderr.tty"),
            charset.newEncoder().canEncode("✓✗"),
            java.time.Clock.systemUTC(),
            ProviderFactories.SERVICE_LOADER);
    TempFiles.deleteOnSignal();
    int code = run(args, ctx);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * Runs the tool in-process (used by {@link #main} and by tests).
   *
   * @param args command-line arguments
   * @param in standard input
   * @param out standard output
   * @param err standard error
   * @param env environment lookup
   * @param stderrIsTerminal whether to draw progress bars on {@code err}
   * @return the exit code
   */
  public static int run(
      String[] args,
      InputStream in,
      PrintStream out,
      PrintStream err,
      Function<String, String> env,
      boolean stderrIsTerminal) {
    return run(args, new Context(in, out, err, env, stderrIsTerminal, true));
  }

  static int run(String[] args, Context ctx) {
    CmkCommand root = new CmkCommand(ctx);
    CommandLine cl = new CommandLine(root);
    cl.setOut(new java.io.PrintWriter(ctx.out(), true));
    cl.setErr(new java.io.PrintWriter(ctx.err(), true));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    // No "@file" argument expansion: it would put a file's content (a password file named by
    // mistake with '@') into arguments and from there into error lines.
    cl.setExpandAtFiles(false);
    cl.setParameterExceptionHandler(
        (ex, arguments) -> {
          if (Arrays.stream(arguments).anyMatch(Cmk::isSecretOption)) {
            // picocli's message could quote the secret (e.g. "Unknown options: '--pin', '1234'").
            ctx.err().println("cmk: passwords and PINs are never accepted on the command line:"
                + " use --pin-file/--pin-env, --keystore-password-file/--keystore-password-env"
                + " or $" + KeyOptions.ENV_KEYSTORE_PASSWORD);
            return ExitCode.USAGE;
          }
          ctx.err().println("cmk: " + oneLine(ex.getMessage()));
          CommandLine c = ex.getCommandLine();
          ctx.err().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more.");
          return ExitCode.USAGE;
        });
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> report(ex, root.verbose(), ctx));
    int code = cl.execute(args);
    ctx.out().flush();
    return code;
  }

  private static boolean isSecretOption(String arg) {
    for (String name : new String[] {"--pin", "--password", "--keystore-password",
        "--data-key-store-password", "--data-key-store-connection-string"}) {
      if (arg.equals(name) || arg.startsWith(name + "=")) {
        return true;
      }
    }
    return false;
  }

  /** Prints one line (plus the cause chain when verbose) and returns the exit code. */
  static int report(Throwable ex, boolean verbose, Context ctx) {
    int code = exitCode(ex);
    ctx.err().println("cmk: " + oneLine(message(ex)));
    if (verbose) {
      for (Throwable c = ex.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
        ctx.err().println("  caused by: " + c.getClass().getName()
            + (c.getMessage() == null ? "" : ": " + oneLine(c.getMessage())));
      }
    } else if (ex.getCause() != null && code != ExitCode.INVALID_CIPHERTEXT) {
      ctx.err().println("(run with --verbose for the cause)");
    }
    return code;
  }

  static int exitCode(Throwable ex) {
    if (ex instanceof CliException) {
      return ((CliException) ex).exitCode();
    }
    if (ex instanceof InvalidCiphertextException || ex instanceof UnsupportedFormatException) {
      return ExitCode.INVALID_CIPHERTEXT;
    }
    if (ex instanceof KeyNotFoundException
        || ex instanceof KeyAccessDeniedException
        || ex instanceof KeyAccessSuspendedException) {
      return ExitCode.KEY_ACCESS;
    }
    if (ex instanceof KeyProviderUnavailableException
        || ex instanceof dev.cmk.core.datakey.DataKeyStoreUnavailableException) {
      return ExitCode.PROVIDER_UNAVAILABLE;
    }
    if (ex instanceof KeyPolicyViolationException) {
      return ExitCode.POLICY_VIOLATION;
    }
    if (ex instanceof IOException || ex instanceof UncheckedIOException) {
      return ExitCode.IO;
    }
    if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException) {
      return ExitCode.USAGE;
    }
    return ExitCode.INTERNAL;
  }

  static @Nullable String message(Throwable ex) {
    if (ex instanceof InvalidCiphertextException) {
      return "invalid ciphertext: not a cmk envelope, altered or truncated, or the associated"
          + " data (--aad) differs from the one used to encrypt";
    }
    if (ex instanceof UncheckedIOException && ex.getCause() != null) {
      return message(ex.getCause());
    }
    if (ex instanceof NoSuchFileException) {
      return "no such file: " + ((NoSuchFileException) ex).getFile();
    }
    if (ex instanceof AccessDeniedException) {
      return "permission denied: " + ((AccessDeniedException) ex).getFile();
    }
    if (ex instanceof IOException) {
      return "I/O error: " + ex.getMessage();
    }
    if (ex instanceof CliException
        || ex instanceof dev.cmk.api.CmkException
        || ex instanceof IllegalArgumentException
        || ex instanceof IllegalStateException) {
      return ex.getMessage();
    }
    return "internal error: " + ex.getClass().getName()
        + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
  }

  private static String oneLine(String s) {
    if (s == null) {
      return "(no message)";
    }
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl).strip() + " …";
  }

  private static Charset stdoutCharset() {
    String name = System.getProperty("sun.stdout.encoding", System.getProperty("file.encoding"));
    try {
      return name == null ? StandardCharsets.UTF_8 : Charset.forName(name);
    } catch (RuntimeException e) {
      return StandardCharsets.UTF_8;
    }
  }

  /**
   * cmk's modules and the Azure SDK log through SLF4J (slf4j-simple in the jar): silent by
   * default, informational with {@code --verbose}. Must run before the first logger is created.
   */
  private static void configureLogging(String[] args) {
    boolean verbose = Arrays.stream(args).anyMatch(a -> a.equals("--verbose") || a.equals("-v"));
    setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "off");
    setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
    setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
    if (!verbose) {
      setIfAbsent("AZURE_LOG_LEVEL", "none");
    }
    // Anything left on java.util.logging (System.Logger's default backend): the same rule, so no
    // library's informational lines reach stderr.
    java.util.logging.Level level =
        verbose ? java.util.logging.Level.INFO : java.util.logging.Level.OFF;
    java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
    root.setLevel(level);
    for (java.util.logging.Handler h : root.getHandlers()) {
      h.setLevel(level);
    }
  }

  /**
   * Whether a standard stream is a terminal. The launcher script knows ({@code test -t}) and passes
   * {@code -Dcmk.stdout.tty} / {@code -Dcmk.stderr.tty}; without it, Java only knows whether the
   * process has an interactive console (stdin and stdout both terminals).
   */
  private static boolean isTerminal(String property) {
    String told = System.getProperty(property);
    if (told != null) {
      return Boolean.parseBoolean(told);
    }
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      // Java 22+ returns a console even when redirected; isTerminal() tells the truth there.
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return true; // Java 17-21: a console exists only when interactive
    }
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value.toLowerCase(Locale.ROOT));
    }
  }
}
