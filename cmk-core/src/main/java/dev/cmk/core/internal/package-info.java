/**
 * Internals of cmk-core: the envelope header and body layout, data keys and their caches, the
 * one-shot, streaming and range code, re-wrap, and the calls to the configured providers. Not
 * exported. Non-null by default.
 */
@NullMarked
package dev.cmk.core.internal;

import org.jspecify.annotations.NullMarked;
