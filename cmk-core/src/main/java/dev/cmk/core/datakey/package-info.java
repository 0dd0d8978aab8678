/**
 * Format v2's shared data-key records: a data key made once, wrapped under one or more
 * key-encryption key versions, kept in a store the service already runs, and named by every
 * envelope written under it.
 *
 * <p>A v1 envelope carries its RSA-wrapped data key (hundreds of bytes). A v2 envelope carries a
 * 32-byte {@link dev.cmk.core.datakey.DataKeyId} instead, which is both the record's name and a
 * commitment to its data key; the wrapped key lives once in a {@link
 * dev.cmk.core.datakey.DataKeyStore}. Several writers may share a record: each claims a writer
 * slot from the store, and bodies are encrypted under a key derived per slot, so no (key, nonce)
 * pair repeats across writers (see {@code docs/envelope-format.md}, "Format v2").
 *
 * <p>{@link dev.cmk.core.datakey.InMemoryDataKeyStore} serves one process and tests; the {@code
 * cmk-state-jdbc} and {@code cmk-state-azure-blob} modules keep records in a database or a storage
 * account. Nothing in a record is secret: it holds wrapped keys only.
 */
@NullMarked
package dev.cmk.core.datakey;

import org.jspecify.annotations.NullMarked;
