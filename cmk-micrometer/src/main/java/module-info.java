/**
 * Micrometer meters for cmk: binds an {@code EnvelopeCrypto} to a {@code MeterRegistry} through
 * {@link dev.cmk.micrometer.CmkMetrics}. Micrometer is an automatic module with a stable name
 * ({@code micrometer.core}, from its manifest).
 */
module dev.cmk.micrometer {
  requires static org.jspecify;
  requires transitive dev.cmk.core;
  requires transitive micrometer.core;

  exports dev.cmk.micrometer;
}
