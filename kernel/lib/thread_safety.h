// Clang thread-safety annotations (-Wthread-safety), as in Zircon/Abseil.
#pragma once

#define TA_CAPABILITY(x) __attribute__((capability(x)))
#define TA_SCOPED_CAPABILITY __attribute__((scoped_lockable))
#define TA_GUARDED(x) __attribute__((guarded_by(x)))
#define TA_REQ(...) __attribute__((requires_capability(__VA_ARGS__)))
#define TA_ACQ(...) __attribute__((acquire_capability(__VA_ARGS__)))
#define TA_TRY_ACQ(...) __attribute__((try_acquire_capability(__VA_ARGS__)))
#define TA_REL(...) __attribute__((release_capability(__VA_ARGS__)))
#define TA_RETURN_CAPABILITY(x) __attribute__((lock_returned(x)))
#define TA_NO_THREAD_SAFETY_ANALYSIS __attribute__((no_thread_safety_analysis))
