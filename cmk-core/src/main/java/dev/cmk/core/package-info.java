/**
 * Envelope encryption with customer-managed keys: {@link dev.cmk.core.EnvelopeCrypto} (one-shot,
 * streaming and random-access AES-256-GCM envelopes, re-wrap), its builder, the data-key caches'
 * settings, the key policy, and the loss-of-access guard ({@link dev.cmk.core.KeyAccessGuard}, read
 * through {@link dev.cmk.core.EnvelopeCrypto#keyAccess()}).
 *
 * <p>Non-null by default: parameters, return values and fields are never null unless marked
 * {@link org.jspecify.annotations.Nullable}; lookups that may find nothing return {@link
 * java.util.Optional}.
 */
@NullMarked
package dev.cmk.core;

import org.jspecify.annotations.NullMarked;
