/**
 * Internals of the keystore provider: the file, its metadata, snapshots and the key manager. Not
 * exported. Non-null by default.
 */
@NullMarked
package dev.cmk.keystore.internal;

import org.jspecify.annotations.NullMarked;
