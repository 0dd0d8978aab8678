package dev.cmk.api.spi;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The settings map given to {@link KeyEncryptionKeyProviderFactory#create(Map)}, validated: every
 * key is one the factory knows (an unknown key is an error naming it and listing the known ones),
 * and typed getters parse values with messages that name the provider and the setting.
 *
 * <pre>{@code
 * ProviderSettings s = ProviderSettings.of("keystore", settings, Set.of("path", "create", ...));
 * Path path = s.requiredPath("path");
 * boolean create = s.optionalBoolean("create").orElse(false);
 * SecretSource password = s.secretSource("password-file", "password-env");
 * }</pre>
 *
 * <p>Value rules: values are trimmed; a blank value counts as absent for {@code required*} and is
 * refused by the typed getters. Booleans are exactly {@code true} or {@code false}; numbers are
 * decimal {@code long}s within the bounds given; durations are ISO-8601 ({@code PT30S}) or a whole
 * number with a unit suffix {@code ms}, {@code s}, {@code m}, {@code h} or {@code d} ({@code 30s},
 * {@code 5m}). Every failure is an {@link IllegalArgumentException} whose message has the form
 * {@code <provider> provider setting '<key>' ...}; values are quoted only when they are not
 * secret-bearing (paths and variable names are never secrets: settings name secrets, they do not
 * hold them).
 *
 * <p><b>Thread safety:</b> immutable; safe for concurrent use.
 */
public final class ProviderSettings {
  private final String provider;
  private final Map<String, String> values;
  private final Set<String> known;

  private ProviderSettings(String provider, Map<String, String> values, Set<String> known) {
    this.provider = provider;
    this.values = values;
    this.known = known;
  }

  /**
   * Validates the keys of {@code settings}.
   *
   * @param provider the provider id, used in messages
   * @param settings the settings given to the factory
   * @param known every key the factory accepts
   * @return the validated settings
   * @throws NullPointerException if an argument, a key or a value is null
   * @throws IllegalArgumentException naming the first unknown key (in sorted order) and listing the
   *     known ones
   */
  public static ProviderSettings of(
      String provider, Map<String, String> settings, Set<String> known) {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(known, "known");
    Map<String, String> copy = new TreeMap<>();
    for (Map.Entry<String, String> e : settings.entrySet()) {
      String key = Objects.requireNonNull(e.getKey(), "settings key");
      String value = Objects.requireNonNull(e.getValue(), () -> "value of setting '" + key + "'");
      copy.put(key, value);
    }
    Set<String> knownSorted = Collections.unmodifiableSet(new TreeSet<>(known));
    for (String key : copy.keySet()) {
      if (!knownSorted.contains(key)) {
        throw new IllegalArgumentException(
            "unknown " + provider + " provider setting '" + key + "'; known: " + knownSorted);
      }
    }
    return new ProviderSettings(provider, Collections.unmodifiableMap(copy), knownSorted);
  }

  /**
   * The keys that are present.
   *
   * @return the keys, sorted
   */
  public Set<String> keys() {
    return values.keySet();
  }

  /**
   * Whether {@code key} is present (possibly blank).
   *
   * @param key a known key
   * @return whether present
   * @throws IllegalArgumentException if {@code key} is not a known key (a programming error)
   */
  public boolean has(String key) {
    return values.containsKey(checkKnown(key));
  }

  /**
   * The trimmed value of an optional setting; a blank value is refused.
   *
   * @param key a known key
   * @return the value, or empty when absent
   * @throws IllegalArgumentException if the value is blank
   */
  public Optional<String> optional(String key) {
    String v = values.get(checkKnown(key));
    if (v == null) {
      return Optional.empty();
    }
    v = v.trim();
    if (v.isEmpty()) {
      throw invalid(key, "must not be blank");
    }
    return Optional.of(v);
  }

  /**
   * The trimmed value of a required setting.
   *
   * @param key a known key
   * @return the value
   * @throws IllegalArgumentException if absent or blank
   */
  public String required(String key) {
    String v = values.get(checkKnown(key));
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(
          provider + " provider setting '" + key + "' is required");
    }
    return v.trim();
  }

  /**
   * A required file-system path.
   *
   * @param key a known key
   * @return the path
   * @throws IllegalArgumentException if absent, blank or not a valid path
   */
  public Path requiredPath(String key) {
    return path(key, required(key));
  }

  /**
   * An optional file-system path.
   *
   * @param key a known key
   * @return the path, or empty when absent
   * @throws IllegalArgumentException if blank or not a valid path
   */
  public Optional<Path> optionalPath(String key) {
    return optional(key).map(v -> path(key, v));
  }

  /**
   * An optional boolean: exactly {@code true} or {@code false}.
   *
   * @param key a known key
   * @return the value, or empty when absent
   * @throws IllegalArgumentException if the value is anything else
   */
  public Optional<Boolean> optionalBoolean(String key) {
    return optional(key)
        .map(
            v -> {
              if (v.equals("true")) {
                return Boolean.TRUE;
              }
              if (v.equals("false")) {
                return Boolean.FALSE;
              }
              throw invalid(key, "must be true or false");
            });
  }

  /**
   * An optional whole number within bounds.
   *
   * @param key a known key
   * @param min smallest accepted value
   * @param max largest accepted value
   * @return the value, or empty when absent
   * @throws IllegalArgumentException if not a decimal number within {@code min}&ndash;{@code max}
   */
  public Optional<Long> optionalLong(String key, long min, long max) {
    if (min > max) {
      throw new IllegalArgumentException("min must not exceed max");
    }
    return optional(key)
        .map(
            v -> {
              long n;
              try {
                n = Long.parseLong(v);
              } catch (NumberFormatException e) {
                throw invalid(key, "must be a whole number");
              }
              if (n < min || n > max) {
                throw invalid(key, "must be " + min + "-" + max);
              }
              return n;
            });
  }

  /**
   * An optional duration within bounds: ISO-8601 ({@code PT30S}) or a whole number with a unit
   * suffix ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}).
   *
   * @param key a known key
   * @param min shortest accepted duration
   * @param max longest accepted duration
   * @return the value, or empty when absent
   * @throws IllegalArgumentException if not a duration within {@code min}&ndash;{@code max}
   */
  public Optional<Duration> optionalDuration(String key, Duration min, Duration max) {
    Objects.requireNonNull(min, "min");
    Objects.requireNonNull(max, "max");
    return optional(key)
        .map(
            v -> {
              Duration d = parseDuration(key, v);
              if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw invalid(key, "must be between " + min + " and " + max);
              }
              return d;
            });
  }

  /**
   * An optional setting whose value is one of fixed choices.
   *
   * @param <T> the type of the choices
   * @param key a known key
   * @param choices accepted values and what they mean
   * @return the meaning of the value given, or empty when absent
   * @throws IllegalArgumentException if the value is not one of the choices (the message lists
   *     them)
   */
  public <T> Optional<T> optionalChoice(String key, Map<String, T> choices) {
    Objects.requireNonNull(choices, "choices");
    return optional(key)
        .map(
            v -> {
              T t = choices.get(v);
              if (t == null) {
                throw invalid(key, "must be one of " + new TreeSet<>(choices.keySet()));
              }
              return t;
            });
  }

  /**
   * Which one of mutually exclusive settings is present, when exactly one must be.
   *
   * @param keys the alternatives, at least two known keys
   * @return the key present
   * @throws IllegalArgumentException if none or more than one is present
   */
  public String exactlyOneOf(String... keys) {
    if (keys.length < 2) {
      throw new IllegalArgumentException("exactlyOneOf needs at least two keys");
    }
    List<String> present = new ArrayList<>();
    for (String k : keys) {
      if (has(k)) {
        present.add(k);
      }
    }
    if (present.size() != 1) {
      List<String> quoted = new ArrayList<>();
      for (String k : keys) {
        quoted.add("'" + k + "'");
      }
      throw new IllegalArgumentException(
          "exactly one of the "
              + provider
              + " provider settings "
              + String.join(", ", quoted)
              + " is required"
              + (present.isEmpty() ? "" : "; found " + present));
    }
    return present.get(0);
  }

  /**
   * The secret named by exactly one of a file setting and an environment-variable setting (the
   * settings never hold the secret itself).
   *
   * @param fileKey the key whose value is the secret file's path, e.g. {@code password-file}
   * @param environmentKey the key whose value is the variable's name, e.g. {@code password-env}
   * @return the source
   * @throws IllegalArgumentException if not exactly one is present, or the value is not a valid
   *     path or variable name
   */
  public SecretSource secretSource(String fileKey, String environmentKey) {
    String which = exactlyOneOf(fileKey, environmentKey);
    if (which.equals(fileKey)) {
      return SecretSource.ofFile(requiredPath(fileKey));
    }
    String variable = required(environmentKey);
    try {
      return SecretSource.ofEnvironment(variable);
    } catch (IllegalArgumentException e) {
      throw invalid(environmentKey, "must be an environment variable name without '='");
    }
  }

  /**
   * The error for a present but invalid value, in the house form.
   *
   * @param key the setting
   * @param problem what is wrong, e.g. "must be 1-1024"
   * @return the exception, to throw
   */
  public IllegalArgumentException invalid(String key, String problem) {
    return new IllegalArgumentException(
        provider + " provider setting '" + key + "' " + problem);
  }

  private String checkKnown(String key) {
    Objects.requireNonNull(key, "key");
    if (!known.contains(key)) {
      throw new IllegalArgumentException(
          "'" + key + "' is not a known " + provider + " provider setting");
    }
    return key;
  }

  private Path path(String key, String value) {
    try {
      return Path.of(value);
    } catch (InvalidPathException e) {
      throw invalid(key, "is not a valid path");
    }
  }

  private Duration parseDuration(String key, String v) {
    String lower = v.toLowerCase(Locale.ROOT);
    if (lower.startsWith("p") || lower.startsWith("-p")) {
      try {
        return Duration.parse(v);
      } catch (DateTimeParseException e) {
        throw invalid(key, "is not an ISO-8601 duration");
      }
    }
    int i = 0;
    while (i < lower.length() && Character.isDigit(lower.charAt(i))) {
      i++;
    }
    if (i == 0 || i > 12) {
      throw invalid(key, "must be a duration such as 30s, 5m or PT30S");
    }
    long n = Long.parseLong(lower.substring(0, i));
    switch (lower.substring(i)) {
      case "ms":
        return Duration.ofMillis(n);
      case "s":
        return Duration.ofSeconds(n);
      case "m":
        return Duration.ofMinutes(n);
      case "h":
        return Duration.ofHours(n);
      case "d":
        return Duration.ofDays(n);
      default:
        throw invalid(key, "must be a duration such as 30s, 5m or PT30S");
    }
  }

  /** Names the provider and the keys present, never values. */
  @Override
  public String toString() {
    return "ProviderSettings[" + provider + ", keys=" + values.keySet() + "]";
  }
}
