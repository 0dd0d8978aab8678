/**
 * Azurite's Blob service on a free loopback port ({@link dev.cmk.testkit.azurite.Azurite}), for
 * tests that run the real {@code azure-storage-blob} client.
 *
 * <p>Non-null by default: parameters, return values and fields are never null unless marked
 * {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cmk.testkit.azurite;

import org.jspecify.annotations.NullMarked;
