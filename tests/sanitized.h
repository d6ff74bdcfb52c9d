// FUZE_SANITIZED: 1 in an ASan or TSan build (RSS checks are meaningless
// there: shadow memory and the quarantine grow; LeakSanitizer checks leaks).
#pragma once

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FUZE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FUZE_SANITIZED 1
#endif
#endif
#ifndef FUZE_SANITIZED
#define FUZE_SANITIZED 0
#endif
