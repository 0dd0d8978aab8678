/**
 * What the example servers share and the library does not offer: {@link
 * dev.cmk.examples.support.DemoClock}, the clock behind their {@code --demo-clock} option.
 */
module dev.cmk.examples.support {
  exports dev.cmk.examples.support;
}
