#pragma once
#include <cstddef>

namespace riposte::limits {

// EventBridge's PutEvents limit for one entry (and riposte's for one event).
inline constexpr std::size_t kMaxEventBytes = 256 * 1024;
// One HTTP request body (a batch of events): PutEvents allows 10 entries of 256 KB.
inline constexpr std::size_t kMaxRequestBytes = 10 * 256 * 1024 + 64 * 1024;
// Deepest JSON nesting accepted anywhere riposte parses untrusted JSON.
inline constexpr int kMaxJsonDepth = 64;
// PutEvents accepts at most 10 entries per call.
inline constexpr std::size_t kMaxPutEventsEntries = 10;

}  // namespace riposte::limits
