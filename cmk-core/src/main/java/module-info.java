/**
 * cmk core: the envelope format, AES-256-GCM one-shot, streaming and random-access encryption,
 * data-key caches, key policy, rotation and the loss-of-access guard. Implementation lives in
 * {@code dev.cmk.core.internal}, which is not exported.
 */
module dev.cmk.core {
  requires static org.jspecify;
  requires transitive dev.cmk.api;
  requires com.github.benmanes.caffeine;
  requires org.slf4j;

  exports dev.cmk.core;
  exports dev.cmk.core.datakey;
  exports dev.cmk.core.fleet;
  exports dev.cmk.core.tenant;
}
