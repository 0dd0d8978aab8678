/**
 * Internals of the Azure Key Vault provider: the provider factory, Key Vault error mapping, key
 * identifiers, the bounded key cache, the sliding-window rate budget and the managed-identity
 * refusal policy. Not exported. Non-null by default.
 */
@NullMarked
package dev.cmk.azure.internal;

import org.jspecify.annotations.NullMarked;
