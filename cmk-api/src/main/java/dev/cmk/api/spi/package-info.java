/**
 * The provider SPI: {@link dev.cmk.api.spi.KeyEncryptionKeyProvider} (describe, wrap, unwrap),
 * {@link dev.cmk.api.spi.KeyManager} (key lifecycle), their factories and discovery, and the
 * building blocks every provider shares (RSA-OAEP, secret sources, settings parsing, the "not
 * served" rule).
 *
 * <p>Non-null by default: parameters, return values and fields are never null unless marked
 * {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cmk.api.spi;

import org.jspecify.annotations.NullMarked;
