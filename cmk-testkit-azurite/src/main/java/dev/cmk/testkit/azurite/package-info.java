/**
 * Azurite's Blob service on a free loopback port ({@link dev.cmk.testkit.azurite.Azurite}), for
 * tests that run the real {@code azure-storage-blob} client.
 */
package dev.cmk.testkit.azurite;
