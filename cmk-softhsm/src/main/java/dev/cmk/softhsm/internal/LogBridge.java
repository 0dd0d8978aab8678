package dev.cmk.softhsm.internal;

import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicBoolean;
import org.xipki.pkcs11.wrapper.Logger;
import org.xipki.pkcs11.wrapper.StaticLogger;

/**
 * Sends ipkcs11wrapper's log lines to the {@link System.Logger} named {@code
 * org.xipki.pkcs11.wrapper} instead of standard output (its default). Its chatty {@code INFO} lines
 * (one per opened session) become {@code DEBUG}; {@code DEBUG} becomes {@code TRACE}. The wrapper
 * logs lengths, handles and return-value names, never data, keys or PINs.
 *
 * <p>The wrapper has one process-wide logger; {@link #install()} sets it once, before the wrapper
 * is first used.
 */
public final class LogBridge implements Logger {
  private static final AtomicBoolean INSTALLED = new AtomicBoolean();

  private final System.Logger logger = System.getLogger("org.xipki.pkcs11.wrapper");

  private LogBridge() {}

  /** Installs the bridge (once per process). */
  public static void install() {
    if (INSTALLED.compareAndSet(false, true)) {
      StaticLogger.setLogger(new LogBridge());
    }
  }

  /** Replaces each {@code {}} in {@code format} by the next argument, as SLF4J does. */
  static String format(String format, Object... arguments) {
    if (format == null) {
      return "";
    }
    if (arguments == null || arguments.length == 0) {
      return format;
    }
    StringBuilder sb = new StringBuilder(format.length() + 16 * arguments.length);
    int from = 0;
    int arg = 0;
    while (true) {
      int at = format.indexOf("{}", from);
      if (at < 0 || arg >= arguments.length) {
        sb.append(format, from, format.length());
        return sb.toString();
      }
      sb.append(format, from, at).append(arguments[arg++]);
      from = at + 2;
    }
  }

  private void log(Level level, String format, Object... arguments) {
    if (logger.isLoggable(level)) {
      logger.log(level, format(format, arguments));
    }
  }

  @Override
  public void info(String format, Object... arguments) {
    log(Level.DEBUG, format, arguments);
  }

  @Override
  public void warn(String format, Object... arguments) {
    log(Level.WARNING, format, arguments);
  }

  @Override
  public void error(String format, Object... arguments) {
    log(Level.ERROR, format, arguments);
  }

  @Override
  public void debug(String format, Object... arguments) {
    log(Level.TRACE, format, arguments);
  }

  @Override
  public void trace(String format, Object... arguments) {
    log(Level.TRACE, format, arguments);
  }

  @Override
  public boolean isDebugEnabled() {
    return logger.isLoggable(Level.TRACE);
  }

  @Override
  public boolean isInfoEnabled() {
    return logger.isLoggable(Level.DEBUG);
  }

  @Override
  public boolean isWarnEnabled() {
    return logger.isLoggable(Level.WARNING);
  }

  @Override
  public boolean isTraceEnabled() {
    return logger.isLoggable(Level.TRACE);
  }
}
