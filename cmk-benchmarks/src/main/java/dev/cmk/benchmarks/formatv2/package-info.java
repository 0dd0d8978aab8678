/**
 * Format v2 against format v1 and the fastest small-message peer (Tink's AES256_GCM keyset), and
 * the honest ceiling for small messages; rotation cost v1 (envelopes) against v2 (records).
 */
package dev.cmk.benchmarks.formatv2;
