/**
 * cmk-azure-blob against the Azure SDK's own client-side encryption ({@code EncryptedBlobClient},
 * encryption version 2) on one Azurite, in one JMH run; see {@code README-blob.md}.
 */
package dev.cmk.benchmarks.blob;
