/**
 * Micrometer meters for cmk: {@link dev.cmk.micrometer.CmkMetrics} binds an {@code EnvelopeCrypto}
 * (its key-encryption-key calls, data-key cache and key-access state) to a {@code MeterRegistry}.
 *
 * <p>Non-null by default: parameters, return values and fields are never null unless marked
 * {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cmk.micrometer;

import org.jspecify.annotations.NullMarked;
