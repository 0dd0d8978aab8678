package dev.cmk.softhsm.internal;

import java.util.concurrent.atomic.AtomicBoolean;
import org.xipki.pkcs11.wrapper.Logger;
import org.xipki.pkcs11.wrapper.StaticLogger;
import org.slf4j.LoggerFactory;

/**
 * Sends ipkcs11wrapper's log lines to the SLF4J logger named {@code org.xipki.pkcs11.wrapper}
 * instead of standard output (its default). Its chatty {@code INFO} lines
 * (one per opened session) become {@code DEBUG}; {@code DEBUG} becomes {@code TRACE}. The wrapper
 * logs lengths, handles and return-value names, never data, keys or PINs.
 *
 * <p>The wrapper has one process-wide logger; {@link #install()} sets it once, before the wrapper
 * is first used.
 */
public final class LogBridge implements Logger {
  private static final AtomicBoolean INSTALLED = new AtomicBoolean();

  private final org.slf4j.Logger logger = LoggerFactory.getLogger("org.xipki.pkcs11.wrapper");

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

  // The wrapper's own text, formatted here (its lines are free text, not cmk events).

  @Override
  public void info(String format, Object... arguments) {
    if (logger.isDebugEnabled()) {
      logger.debug(format(format, arguments));
    }
  }

  @Override
  public void warn(String format, Object... arguments) {
    if (logger.isWarnEnabled()) {
      logger.warn(format(format, arguments));
    }
  }

  @Override
  public void error(String format, Object... arguments) {
    if (logger.isErrorEnabled()) {
      logger.error(format(format, arguments));
    }
  }

  @Override
  public void debug(String format, Object... arguments) {
    if (logger.isTraceEnabled()) {
      logger.trace(format(format, arguments));
    }
  }

  @Override
  public void trace(String format, Object... arguments) {
    debug(format, arguments);
  }

  @Override
  public boolean isDebugEnabled() {
    return logger.isTraceEnabled();
  }

  @Override
  public boolean isInfoEnabled() {
    return logger.isDebugEnabled();
  }

  @Override
  public boolean isWarnEnabled() {
    return logger.isWarnEnabled();
  }

  @Override
  public boolean isTraceEnabled() {
    return logger.isTraceEnabled();
  }
}
