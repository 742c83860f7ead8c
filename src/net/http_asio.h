// The prelude every file of src/api and src/net includes before any Asio or Beast header (DESIGN section 10).
#pragma once

// Boost 1.74's Asio does not compile under -std=c++20 with g++ 12 unless <utility> comes first
// (boost/asio/awaitable.hpp uses std::exchange).
#include <utility>

// ThreadSanitizer does not model std::atomic_thread_fence (false reports), and g++ 12 turns
// Asio's fences into -Werror=tsan errors. Asio hands completions over through mutex-protected
// queues, so the fences add nothing TSan needs. Defined the same way in every TU that sees Asio (one definition rule).
#if defined(__SANITIZE_THREAD__)   // g++
#define ROTA_THREAD_SANITIZER 1
#elif defined(__has_feature)       // clang
#if __has_feature(thread_sanitizer)
#define ROTA_THREAD_SANITIZER 1
#endif
#endif
#if defined(ROTA_THREAD_SANITIZER) && !defined(BOOST_ASIO_DISABLE_FENCED_BLOCK)
#define BOOST_ASIO_DISABLE_FENCED_BLOCK 1
#endif
