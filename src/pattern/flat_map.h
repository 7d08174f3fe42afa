#pragma once
// An immutable open-addressing hash map from byte strings to small lists of uint32 ids, laid
// out flat (one probe array, one key arena, one id arena) so that a look-up costs about one
// cache miss. Built once from an ordinary map; look-ups are thread-safe.

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace riposte::pattern {

inline uint64_t hashBytes(std::string_view s) {
  // 64-bit multiply-mix over 8-byte words (in the spirit of wyhash); good enough for keys
  // that come from rules and adversarial-safe enough given the probe bound below.
  const uint64_t k = 0x9E3779B97F4A7C15ull;
  uint64_t h = 0xA0761D6478BD642Full ^ (s.size() * k);
  const char* p = s.data();
  std::size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    __uint128_t m = static_cast<__uint128_t>(h ^ w) * (k ^ 0xE7037ED1A0B428DBull);
    h = static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  if (n) std::memcpy(&w, p, n);
  __uint128_t m = static_cast<__uint128_t>(h ^ w ^ 0x8EBC6AF09C88C6E3ull) * k;
  h = static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
  return h;
}

class FlatStrMap {
 public:
  bool empty() const { return count_ == 0; }

  // entries: (key, ids). Keys must be distinct.
  template <class Map>
  void build(const Map& m) {
    count_ = m.size();
    std::size_t cap = 8;
    while (cap < count_ * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    keys_.clear();
    ids_.clear();
    for (const auto& [key, ids] : m) {
      Slot s;
      s.hash = hashBytes(key);
      s.key_off = static_cast<uint32_t>(keys_.size());
      s.key_len = static_cast<uint32_t>(key.size());
      s.ids_off = static_cast<uint32_t>(ids_.size());
      s.ids_len = static_cast<uint32_t>(ids.size());
      keys_.append(key);
      ids_.insert(ids_.end(), ids.begin(), ids.end());
      std::size_t i = s.hash & mask_;
      while (slots_[i].ids_len != 0) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  std::span<const uint32_t> find(std::string_view key) const {
    if (count_ == 0) return {};
    uint64_t h = hashBytes(key);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.ids_len == 0) return {};
      if (s.hash == h && s.key_len == key.size() &&
          std::memcmp(keys_.data() + s.key_off, key.data(), key.size()) == 0) {
        return {ids_.data() + s.ids_off, s.ids_len};
      }
    }
  }

  std::size_t memoryBytes() const {
    return slots_.capacity() * sizeof(Slot) + keys_.capacity() + ids_.capacity() * 4;
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t key_off = 0, key_len = 0, ids_off = 0, ids_len = 0;  // ids_len == 0: empty
  };
  std::vector<Slot> slots_;
  std::string keys_;
  std::vector<uint32_t> ids_;
  std::size_t mask_ = 0;
  std::size_t count_ = 0;
};

}  // namespace riposte::pattern
