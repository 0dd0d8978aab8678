package dev.cmk.examples.fhir.internal;

import ca.uhn.fhir.rest.param.DateAndListParam;
import ca.uhn.fhir.rest.param.DateOrListParam;
import ca.uhn.fhir.rest.param.DateParam;
import ca.uhn.fhir.rest.param.ParamPrefixEnum;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * FHIR R4 date search semantics for {@code _lastUpdated}, whose target is an instant.
 *
 * <p>A search value is the range {@code [lower, upper)} its precision covers: {@code 2026-11-24}
 * is that whole day, {@code 2026-11-24T10:00:00Z} that second, {@code 2026-11-24T10:00:00.5Z} that
 * tenth of a second. A value without a time zone (a date, a year-month or a year, or a time without
 * an offset) is read in UTC. Against a resource's last-updated instant {@code t} the prefixes mean
 * (FHIR R4 search, "date"): {@code eq} {@code lower <= t < upper}; {@code ne} {@code t < lower or t
 * >= upper}; {@code lt} and {@code eb} {@code t < lower}; {@code le} {@code t < upper}; {@code gt}
 * and {@code sa} {@code t >= upper}; {@code ge} {@code t >= lower}. {@code ap} is refused (400).
 * Repeated parameters are combined with AND, comma-separated values with OR.
 *
 * <p><b>Thread safety:</b> stateless.
 */
final class LastUpdatedSearch {
  private static final Pattern VALUE = Pattern.compile(
      "(\\d{4})(?:-(\\d{2})(?:-(\\d{2})(?:T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?"
          + "(Z|[+\\- ]\\d{2}:\\d{2})?)?)?)?");

  private LastUpdatedSearch() {}

  /**
   * The conditions of a {@code _lastUpdated} parameter: every element must hold, and an element
   * holds when the instant lies in any of its ranges.
   *
   * @param param the bound parameter, or {@code null} when absent
   * @return the conditions; empty for no condition
   * @throws InvalidRequestException (HTTP 400) for a value or prefix this server does not support
   */
  static List<List<InstantRange>> conditions(DateAndListParam param) {
    List<List<InstantRange>> out = new ArrayList<>();
    if (param == null) {
      return out;
    }
    for (DateOrListParam or : param.getValuesAsQueryTokens()) {
      List<InstantRange> union = new ArrayList<>();
      for (DateParam p : or.getValuesAsQueryTokens()) {
        union.addAll(ranges(p));
      }
      out.add(union);
    }
    return out;
  }

  /**
   * The ranges (a union) in which a resource's last-updated instant matches one value.
   *
   * @param param one value with its prefix
   * @return the ranges; empty when nothing can match
   * @throws InvalidRequestException (HTTP 400) for an unsupported value or prefix
   */
  static List<InstantRange> ranges(DateParam param) {
    if (param.getMissing() != null) {
      // Every resource has a last-updated instant.
      return param.getMissing() ? List.of() : List.of(InstantRange.ALL);
    }
    InstantRange value = valueRange(param.getValueAsString());
    ParamPrefixEnum prefix = param.getPrefix() == null ? ParamPrefixEnum.EQUAL : param.getPrefix();
    switch (prefix) {
      case EQUAL:
        return List.of(value);
      case NOT_EQUAL:
        return List.of(InstantRange.before(value.from()), InstantRange.atOrAfter(value.until()));
      case LESSTHAN:
      case ENDS_BEFORE:
        return List.of(InstantRange.before(value.from()));
      case LESSTHAN_OR_EQUALS:
        return List.of(InstantRange.before(value.until()));
      case GREATERTHAN:
      case STARTS_AFTER:
        return List.of(InstantRange.atOrAfter(value.until()));
      case GREATERTHAN_OR_EQUALS:
        return List.of(InstantRange.atOrAfter(value.from()));
      default:
        throw new InvalidRequestException(
            "_lastUpdated: the prefix " + prefix.getValue() + " is not supported");
    }
  }

  /**
   * The range {@code [lower, upper)} a date search value covers at its precision.
   *
   * @param value e.g. {@code 2026}, {@code 2026-11-24}, {@code 2026-11-24T10:00:00.250+01:00}
   * @return the range, both bounds present
   * @throws InvalidRequestException (HTTP 400) if the value is not a FHIR date or date-time
   */
  static InstantRange valueRange(String value) {
    Matcher m = value == null ? null : VALUE.matcher(value);
    if (m == null || !m.matches()) {
      throw invalid();
    }
    try {
      int year = Integer.parseInt(m.group(1));
      if (m.group(2) == null) {
        Instant from = LocalDate.of(year, 1, 1).atStartOfDay().toInstant(ZoneOffset.UTC);
        return new InstantRange(from, LocalDate.of(year, 1, 1).plusYears(1).atStartOfDay()
            .toInstant(ZoneOffset.UTC));
      }
      int month = Integer.parseInt(m.group(2));
      if (m.group(3) == null) {
        LocalDate first = LocalDate.of(year, month, 1);
        return new InstantRange(first.atStartOfDay().toInstant(ZoneOffset.UTC),
            first.plusMonths(1).atStartOfDay().toInstant(ZoneOffset.UTC));
      }
      LocalDate day = LocalDate.of(year, month, Integer.parseInt(m.group(3)));
      if (m.group(4) == null) {
        return new InstantRange(day.atStartOfDay().toInstant(ZoneOffset.UTC),
            day.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC));
      }
      ZoneOffset zone = m.group(8) == null
          ? ZoneOffset.UTC
          // A '+' in a query string that was not percent-encoded arrives as a space.
          : ZoneOffset.of(m.group(8).replace(' ', '+'));
      LocalDateTime start = day.atTime(Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)));
      ChronoUnit unit = ChronoUnit.MINUTES;
      long units = 1;
      if (m.group(6) != null) {
        start = start.withSecond(Integer.parseInt(m.group(6)));
        unit = ChronoUnit.SECONDS;
        String fraction = m.group(7);
        if (fraction != null) {
          start = start.withNano(Integer.parseInt((fraction + "00000000").substring(0, 9)));
          unit = ChronoUnit.NANOS;
          units = (long) Math.pow(10, 9 - fraction.length());
        }
      }
      Instant from = start.toInstant(zone);
      return new InstantRange(from, from.plus(units, unit));
    } catch (java.time.DateTimeException e) {
      throw invalid();
    }
  }

  private static InvalidRequestException invalid() {
    return new InvalidRequestException("_lastUpdated: not a FHIR date or date-time"
        + " (examples: 2026, 2026-11, 2026-11-24, 2026-11-24T10:00:00Z, 2026-11-24T10:00:00.250+01:00)");
  }
}
