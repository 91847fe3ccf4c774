/* Host stand-in for musl's internal features.h (src/include/features.h),
 * which the libc port's headers include for the `hidden` macro: the host's
 * <features.h>, plus `hidden` for C sources. C++ tests define `hidden`
 * themselves around the port's headers, so that the name stays free in
 * the C++ standard library and GoogleTest. */
#include_next <features.h>

#if !defined(__cplusplus) && !defined(hidden)
#define hidden __attribute__((__visibility__("hidden")))
#endif
