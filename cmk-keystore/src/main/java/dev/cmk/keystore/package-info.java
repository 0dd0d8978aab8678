/**
 * The PKCS#12 keystore key provider ({@link dev.cmk.keystore.KeystoreKeyProvider}, provider id
 * {@code keystore}) for development and on-premises use. Non-null by default.
 */
@NullMarked
package dev.cmk.keystore;

import org.jspecify.annotations.NullMarked;
