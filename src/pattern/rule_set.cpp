// The compiled matcher. One index for all rules:
//   * a trie over flattened field paths (keyed by event keys, so "a.b" in an event key and
//     nested {"a":{"b":..}} reach the same node) drives a simdjson On-Demand walk that only
//     descends into fields some rule names and skips everything else unparsed;
//   * per field, hash maps for exact strings/numbers, prefixes and suffixes (looked up by
//     length), lists of clause ids for booleans/null/exists, and a short list of matchers
//     evaluated one by one (numeric ranges, wildcards, ignore-case, cidr, anything-but);
//   * a clause fires once per event; a sub-rule counts its fired clauses and becomes a
//     candidate when all its positive clauses fired. Candidates then pass the exists:false
//     checks and, when the event holds arrays of objects, the array-consistency check.

#include <simdjson.h>

#if defined(__AVX2__) || defined(__PCLMUL__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <bitset>
#include <cstring>
#include <map>
#include <type_traits>
#include <unordered_map>

#include "pattern/compiler.h"
#include "pattern/flat_map.h"
#include "pattern/pattern.h"
#include "pattern/range_index.h"

namespace riposte::pattern {
namespace {

constexpr uint32_t kNone = 0xffffffffu;

struct SvHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
template <class V>
using StrMap = std::unordered_map<std::string, V, SvHash, std::equal_to<>>;

struct PathNode {
  std::vector<std::pair<std::string, uint32_t>> kids;  // event key (run of segments) -> node
  FlatStrMap kid_map;                                  // used when kids is large
  // Small nodes: each kid key of at most 8 bytes as one little-endian word (0 otherwise),
  // compared with one load of the event key (lookupPadded).
  std::vector<uint64_t> kid_words;
  uint32_t field = kNone;
};

struct FieldIndex {
  // Build-time maps; frozen into the flat maps below by RuleSetBuilder::build().
  struct Pending {
    StrMap<std::vector<uint32_t>> strings, literal_numbers, prefixes, suffixes, ip_exact, ic_equals,
        ic_prefixes, ic_suffixes;
  } pending;
  FlatStrMap strings;
  FlatStrMap literal_numbers;
  std::unordered_map<double, std::vector<uint32_t>> numbers;
  std::vector<uint32_t> trues, falses, nulls, any_leaf;
  FlatStrMap prefixes, suffixes;
  std::vector<uint32_t> prefix_lens, suffix_lens;
  FlatStrMap ip_exact;     // 17-byte key: family + address
  FlatStrMap ic_equals;    // ASCII equals-ignore-case, lower-cased
  FlatStrMap ic_prefixes;  // ASCII prefix equals-ignore-case
  FlatStrMap ic_suffixes;
  std::vector<uint32_t> ic_prefix_lens, ic_suffix_lens;
  std::vector<NumRange> pending_ranges;
  RangeIndex ranges;
  std::vector<std::pair<const Matcher*, uint32_t>> others;
  bool needs_number = false;
  bool needs_ip = false;
};

struct IpKey {
  char bytes[17];
  std::string_view view() const { return {bytes, sizeof bytes}; }
};
IpKey ipKey(const IpAddr& a) {
  IpKey k;
  k.bytes[0] = a.v6 ? 6 : 4;
  std::memcpy(k.bytes + 1, a.bytes.data(), 16);
  return k;
}

struct ClauseInfo {
  uint32_t sub_rule;
  uint32_t field;
  bool absent_ok;  // exists:false is one of its alternatives
};

struct SubRuleInfo {
  uint32_t rule;
  uint32_t need;  // clauses without an exists:false alternative
  std::vector<uint32_t> clauses;
  uint32_t access = kNone;  // the indexed clause that makes this sub-rule a candidate
};

struct EvLeaf {
  uint32_t field;
  uint32_t ctx;
  uint32_t prev;  // previous leaf of the same field, or kNone
  Leaf leaf;      // strings point into the parser's buffer, valid during match()
};

struct Ctx {
  uint32_t parent;
  uint32_t array_id;
};

}  // namespace

struct RuleSet::Impl {
  std::vector<std::string> names;
  std::vector<MatcherList> keep_alive;
  std::vector<PathNode> nodes;
  std::vector<FieldIndex> fields;
  std::vector<ClauseInfo> clauses;
  std::vector<SubRuleInfo> sub_rules;
  std::vector<uint32_t> always;  // sub-rules with need == 0
  // Clause -> its matchers (for the array-consistency check).
  std::vector<const std::vector<Matcher>*> clause_matchers;

  uint32_t lookup(uint32_t node, std::string_view key) const {
    const PathNode& n = nodes[node];
    if (!n.kid_map.empty()) {
      auto ids = n.kid_map.find(key);
      return ids.empty() ? kNone : ids[0];
    }
    for (const auto& [k, id] : n.kids) {
      if (k.size() == key.size() && std::memcmp(k.data(), key.data(), k.size()) == 0) return id;
    }
    return kNone;
  }

  // As lookup(), for a key with at least 8 readable bytes from key.data() (inside a padded
  // event buffer).
  uint32_t lookupPadded(uint32_t node, std::string_view key) const {
    const PathNode& n = nodes[node];
    if (key.size() > 8 || n.kid_words.empty()) return lookup(node, key);
    uint64_t w;
    std::memcpy(&w, key.data(), 8);
    if (key.size() < 8) w &= (uint64_t{1} << (8 * key.size())) - 1;
    for (std::size_t i = 0; i < n.kids.size(); ++i) {
      if (n.kid_words[i] == w && n.kids[i].first.size() == key.size()) return n.kids[i].second;
    }
    return kNone;
  }
};

namespace {

// Per-thread scratch space for match(); reused across events and rule sets.
struct Scratch {
  simdjson::ondemand::parser parser;
  std::vector<char> buf;
  uint32_t epoch = 0;
  std::vector<uint32_t> clause_stamp, sub_stamp, field_stamp, field_head, rule_stamp;
  std::vector<uint32_t> candidates;
  std::vector<EvLeaf> leaves;
  std::vector<Ctx> ctxs;
  uint32_t next_array = 0;
  bool container_arrays = false;
  // Array consistency (consistentMatch): (context, clause number) per matching leaf of a
  // clause that must be bound inside an array element.
  std::vector<std::pair<uint32_t, uint32_t>> items;
  // The one-array shortcut's clause set per context (kept all zero between calls) and the
  // contexts it set, for sub-rules of up to 64 clauses.
  std::vector<uint64_t> elem_sets;
  std::vector<uint32_t> touched;

  void begin(const RuleSet::Impl& rs) {
    auto fit = [](std::vector<uint32_t>& v, std::size_t n) {
      if (v.size() < n) v.resize(n, 0);
    };
    if (++epoch == 0) {
      for (auto* v : {&clause_stamp, &sub_stamp, &field_stamp, &rule_stamp})
        std::fill(v->begin(), v->end(), 0);
      epoch = 1;
    }
    fit(clause_stamp, rs.clauses.size());
    fit(sub_stamp, rs.sub_rules.size());
    fit(field_stamp, rs.fields.size());
    fit(field_head, rs.fields.size());
    fit(rule_stamp, rs.names.size());
    candidates.clear();
    leaves.clear();
    ctxs.clear();
    ctxs.push_back(Ctx{kNone, kNone});
    next_array = 0;
    container_arrays = false;
  }
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

namespace od = simdjson::ondemand;

// Raw key/string scans give up (and unescape through simdjson) beyond this length.
constexpr std::size_t kMaxRawScan = 256;

// Length of a raw JSON string body up to its closing quote, or npos if a backslash comes
// first (or it is longer than kMaxRawScan). Reads 8 bytes at a time: the closing quote is
// inside the document (stage 1 rejects unclosed strings) and the input is padded.
inline std::size_t rawStringLength(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  for (std::size_t i = 0; i < kMaxRawScan; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    uint64_t q = w ^ (kOnes * '"'), b = w ^ (kOnes * '\\');
    uint64_t hq = (q - kOnes) & ~q & kHigh, hb = (b - kOnes) & ~b & kHigh;
    if ((hq | hb) == 0) continue;
    // The lowest flagged byte is exact (borrows only flag bytes above a real match).
    unsigned iq = hq ? static_cast<unsigned>(__builtin_ctzll(hq)) / 8 : 8;
    unsigned ib = hb ? static_cast<unsigned>(__builtin_ctzll(hb)) / 8 : 8;
    if (ib < iq) return std::string_view::npos;
    return i + iq;
  }
  return std::string_view::npos;
}

// ------------------------------------------------------------- the tail shortcut
//
// Skipping a value On-Demand does not need steps over every structural token in it (for a
// CityLots feature's `geometry`, ~120 tokens: a third of the match). When the value is
// followed by nothing but the closing brackets of its enclosing containers, nothing after it
// can matter: the walk may stop there instead. The positions of those trailing closers are
// found once per event from the end of the buffer; that the value really ends where they
// begin is checked by a bracket count over its raw bytes (64 at a time), which counts what
// simdjson's own skip counts, so a malformed value falls back to simdjson's skip and error.

// Positions of the closing brackets at the end of the document, last first: tail[0] closes
// the root, tail[k] the container k levels down along the last members.
struct Tail {
  static constexpr int kMax = 16;
  uint32_t pos[kMax];
  int n = 0;
};

inline bool jsonSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

inline Tail tailOf(const char* data, std::size_t len) {
  Tail t;
  std::size_t i = len;
  while (t.n < Tail::kMax) {
    while (i > 0 && jsonSpace(data[i - 1])) --i;
    if (i == 0 || (data[i - 1] != '}' && data[i - 1] != ']')) break;
    t.pos[t.n++] = static_cast<uint32_t>(--i);
  }
  return t;
}

#if defined(__AVX2__)
// Bit i set where block[i] == c (64 bytes).
inline uint64_t eqMask(const char* block, char c) {
  __m256i k = _mm256_set1_epi8(c);
  auto lo = static_cast<uint32_t>(_mm256_movemask_epi8(
      _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block)), k)));
  auto hi = static_cast<uint32_t>(_mm256_movemask_epi8(
      _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32)), k)));
  return (uint64_t{hi} << 32) | lo;
}
#else
inline uint64_t eqMask(const char* block, char c) {
  uint64_t m = 0;
  for (int i = 0; i < 64; ++i) m |= uint64_t{block[i] == c} << i;
  return m;
}
#endif

// Running XOR of the bits below and at each position: 1 inside strings.
inline uint64_t prefixXor(uint64_t x) {
#if defined(__PCLMUL__)
  return static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_clmulepi64_si128(
      _mm_set_epi64x(0, static_cast<int64_t>(x)), _mm_set1_epi8(static_cast<char>(0xff)), 0)));
#else
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
#endif
}

// True if the container opening at `open` closes exactly at `close` (and not before),
// counting brackets outside strings. Gives up (false) on a backslash: the caller then lets
// simdjson skip. Reads whole 64-byte blocks: the buffer is padded past `close`.
inline bool closesAt(const char* open, const char* close) {
  const char* p = open;
  uint64_t in_string = 0;  // all ones while a string is open at a block boundary
  int64_t depth = 0;
  while (p <= close) {
    uint64_t valid = ~uint64_t{0};
    auto left = static_cast<std::size_t>(close - p) + 1;
    if (left < 64) valid = (uint64_t{1} << left) - 1;
    if (eqMask(p, '\\') & valid) return false;
    uint64_t quotes = eqMask(p, '"') & valid;
    uint64_t strings = prefixXor(quotes) ^ in_string;
    in_string = static_cast<uint64_t>(static_cast<int64_t>(strings) >> 63);
    uint64_t outside = ~strings & valid;
    uint64_t opens = (eqMask(p, '{') | eqMask(p, '[')) & outside;
    uint64_t closes = (eqMask(p, '}') | eqMask(p, ']')) & outside;
    auto nc = static_cast<int64_t>(__builtin_popcountll(closes));
    if (nc < depth) {  // cannot reach depth 0 inside this block
      depth += static_cast<int64_t>(__builtin_popcountll(opens)) - nc;
    } else {
      for (uint64_t bits = opens | closes; bits; bits &= bits - 1) {
        unsigned i = static_cast<unsigned>(__builtin_ctzll(bits));
        if ((opens >> i) & 1) {
          ++depth;
        } else if (--depth == 0) {
          return p + i == close;
        }
      }
    }
    p += 64;
  }
  return false;
}

class Walker {
 public:
  Walker(const RuleSet::Impl& rs, Scratch& s, const char* data, std::size_t len)
      : rs_(rs), s_(s), data_(data), tail_(tailOf(data, len)) {}

  // `depth`: containers enclosing obj's members (1 for the root object).
  bool walkObject(od::object obj, uint32_t node, uint32_t ctx, int depth) {
    for (auto fr : obj) {
      // Bind the field in place: moving it out of the result (get()) costs a
      // store-forwarding stall per key on the pair's copy.
      if (fr.error()) return false;
      od::field& field = fr.value_unsafe();
      std::string_view key;
      // Fast path: a key without escapes is its raw bytes (the input is padded, so the scan
      // for the closing quote stays in bounds); otherwise let simdjson unescape it.
      const char* raw = reinterpret_cast<const char*>(field.key().raw());
      std::size_t len = rawStringLength(raw);
      uint32_t child;
      if (len != std::string_view::npos) {
        key = std::string_view(raw, len);
        child = rs_.lookupPadded(node, key);
      } else if (field.unescaped_key().get(key)) {
        return false;
      } else {
        child = rs_.lookup(node, key);
      }
      if (child == kNone) {
        if (depth < tail_.n && lastContainer(field.value(), depth)) return true;
        continue;
      }
      if (!walkValue(field.value(), child, ctx, depth)) return false;
      if (done_) return true;
    }
    return true;
  }

 private:
  const RuleSet::Impl& rs_;
  Scratch& s_;
  const char* data_;
  Tail tail_;
  bool done_ = false;

  // An unvisited container that ends where the document's trailing closers begin: nothing
  // after it needs visiting, so the walk stops (done_) instead of skipping it.
  bool lastContainer(od::value v, int depth) {
    const char* open = v.raw_json_token().data();
    const char* close = data_ + tail_.pos[depth];
    if (close <= open) return false;
    char o = *open, c = *close;
    if (!((o == '{' && c == '}') || (o == '[' && c == ']'))) return false;
    if (!closesAt(open, close)) return false;
    done_ = true;
    return true;
  }

  // `depth`: containers enclosing v.
  bool walkValue(od::value v, uint32_t node, uint32_t ctx, int depth) {
    od::json_type t;
    if (v.type().get(t)) return false;
    if (t == od::json_type::object) {
      if (rs_.nodes[node].kids.empty()) return true;
      od::object o;
      if (v.get_object().get(o)) return false;
      return walkObject(o, node, ctx, depth + 1);
    }
    if (t == od::json_type::array) {
      od::array a;
      if (v.get_array().get(a)) return false;
      uint32_t array_id = s_.next_array++;
      bool has_kids = !rs_.nodes[node].kids.empty();
      for (auto er : a) {
        if (er.error()) return false;
        od::value& e = er.value_unsafe();
        od::json_type et;
        if (e.type().get(et)) return false;
        if (et == od::json_type::object || et == od::json_type::array) {
          if (et == od::json_type::object) {
            if (!has_kids) continue;
            s_.container_arrays = true;
          }
          auto c = static_cast<uint32_t>(s_.ctxs.size());
          s_.ctxs.push_back(Ctx{ctx, array_id});
          if (!walkValue(e, node, c, depth + 1)) return false;
          if (done_) return true;
        } else if (!leaf(e, et, node, ctx)) {
          return false;
        }
      }
      return true;
    }
    return leaf(v, t, node, ctx);
  }

  void mark(std::span<const uint32_t> cids) {
    for (uint32_t c : cids) markOne(c);
  }
  void markOne(uint32_t c) {
    if (s_.clause_stamp[c] != s_.epoch) {
      s_.clause_stamp[c] = s_.epoch;
      uint32_t sr = rs_.clauses[c].sub_rule;
      if (s_.sub_stamp[sr] != s_.epoch) {
        s_.sub_stamp[sr] = s_.epoch;
        s_.candidates.push_back(sr);
      }
    }
  }

  IpAddr ip_;
  bool have_ip_ = false;
  std::string lower_;

  // ASCII equals-ignore-case / prefix / suffix through hash look-ups on the lower-cased value.
  void asciiIgnoreCase(const FieldIndex& fi, std::string_view v) {
    lower_.assign(v);
    std::size_t ascii_len = 0;  // length of the leading ASCII run
    while (ascii_len < lower_.size() && static_cast<unsigned char>(lower_[ascii_len]) < 0x80) {
      char& ch = lower_[ascii_len];
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
      ++ascii_len;
    }
    std::string_view lv(lower_);
    if (!fi.ic_equals.empty() && ascii_len == lower_.size()) {
      mark(fi.ic_equals.find(lv));
    }
    for (uint32_t len : fi.ic_prefix_lens) {
      if (len > ascii_len) break;
      mark(fi.ic_prefixes.find(lv.substr(0, len)));
    }
    if (!fi.ic_suffix_lens.empty()) {
      // Lower-case the trailing ASCII run too.
      std::size_t tail = 0;
      while (tail < lower_.size() &&
             static_cast<unsigned char>(lower_[lower_.size() - 1 - tail]) < 0x80) {
        char& ch = lower_[lower_.size() - 1 - tail];
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
        ++tail;
      }
      for (uint32_t len : fi.ic_suffix_lens) {
        if (len > tail) break;
        mark(fi.ic_suffixes.find(lv.substr(lv.size() - len)));
      }
    }
  }

  bool leaf(od::value& v, od::json_type t, uint32_t node, uint32_t ctx) {
    uint32_t f = rs_.nodes[node].field;
    if (f == kNone) return true;
    const FieldIndex& fi = rs_.fields[f];
    Leaf l;
    switch (t) {
      case od::json_type::string:
        l.type = Leaf::Type::kString;
        {
          // Fast path: a string without escapes is its raw token minus the quotes (the token
          // is peeked, not consumed); otherwise let simdjson unescape it.
          std::string_view tok = v.raw_json_token();
          while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\t' ||
                                  tok.back() == '\r'))
            tok.remove_suffix(1);
          if (tok.size() >= 2 && tok.find('\\') == std::string_view::npos) {
            l.text = tok.substr(1, tok.size() - 2);
          } else if (v.get_string().get(l.text)) {
            return false;
          }
        }
        break;
      case od::json_type::number: {
        l.type = Leaf::Type::kNumber;
        std::string_view raw = v.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' ||
                                raw.back() == '\r'))
          raw.remove_suffix(1);
        l.text = raw;
        if (fi.needs_number) {
          double d;
          l.comparable = v.get_double().get(d) == simdjson::SUCCESS
                             ? comparableNumber(raw, d, l.num)
                             : comparableNumber(raw, l.num);
        }
        break;
      }
      case od::json_type::boolean: {
        bool b;
        if (v.get_bool().get(b)) return false;
        l.type = b ? Leaf::Type::kTrue : Leaf::Type::kFalse;
        break;
      }
      case od::json_type::null: {
        bool is_null = false;
        if (v.is_null().get(is_null) || !is_null) return false;
      }
        l.type = Leaf::Type::kNull;
        break;
      default:
        return false;
    }
    uint32_t prev = s_.field_stamp[f] == s_.epoch ? s_.field_head[f] : kNone;
    s_.field_head[f] = static_cast<uint32_t>(s_.leaves.size());
    s_.leaves.push_back(EvLeaf{f, ctx, prev, l});
    s_.field_stamp[f] = s_.epoch;
    mark(fi.any_leaf);
    switch (l.type) {
      case Leaf::Type::kString: {
        if (fi.needs_ip) {
          have_ip_ = parseIp(l.text, ip_);
          if (have_ip_ && !fi.ip_exact.empty()) {
            mark(fi.ip_exact.find(ipKey(ip_).view()));
          }
        }
        if (!fi.ic_equals.empty() || !fi.ic_prefix_lens.empty() || !fi.ic_suffix_lens.empty()) {
          asciiIgnoreCase(fi, l.text);
        }
        if (!fi.strings.empty()) {
          mark(fi.strings.find(l.text));
        }
        for (uint32_t len : fi.prefix_lens) {
          if (len > l.text.size()) break;
          mark(fi.prefixes.find(l.text.substr(0, len)));
        }
        for (uint32_t len : fi.suffix_lens) {
          if (len > l.text.size()) break;
          mark(fi.suffixes.find(l.text.substr(l.text.size() - len)));
        }
        break;
      }
      case Leaf::Type::kNumber: {
        if (!fi.literal_numbers.empty()) {
          mark(fi.literal_numbers.find(l.text));
        }
        if (l.comparable && !fi.numbers.empty()) {
          auto it = fi.numbers.find(l.num);
          if (it != fi.numbers.end()) mark(it->second);
        }
        if (l.comparable && !fi.ranges.empty()) {
          fi.ranges.stab(l.num, [&](uint32_t c) { markOne(c); });
        }
        break;
      }
      case Leaf::Type::kTrue:
        mark(fi.trues);
        break;
      case Leaf::Type::kFalse:
        mark(fi.falses);
        break;
      case Leaf::Type::kNull:
        mark(fi.nulls);
        break;
    }
    for (const auto& [m, c] : fi.others) {
      // A clause that already fired needs no second witness here; the array-consistency
      // check re-evaluates every leaf itself.
      if (s_.clause_stamp[c] == s_.epoch) continue;
      if (m->kind == Matcher::Kind::kIp) {
        if (l.type == Leaf::Type::kString && have_ip_ && m->ip.contains(ip_)) markOne(c);
        continue;
      }
      if (m->matches(l)) markOne(c);
    }
    return true;
  }
};

// ---------------------------------------------------------------- array consistency
//
// What remains once every clause has a matching leaf somewhere: the clauses whose matching
// leaves all sit inside array elements (a leaf outside every array element pairs with any
// choice). Each needs one of its leaves, and the chosen leaves must be array-consistent: at
// every array, at most one element holds chosen leaves (Event Ruler's array membership).
// exists:false takes no part in the choice: it holds when the field has no leaf anywhere in
// the event, whichever elements the other fields bind (docs/patterns.md), so a clause whose
// field is absent is satisfied and one whose field is present needs a positive alternative.
// Adding a clause can then only remove consistent choices: a condition never widens a match.

// Sets of clause numbers: one word for up to 64 clauses (the usual case), else a bitset as
// wide as a sub-rule can be.
using NarrowSet = uint64_t;
using WideSet = std::bitset<kMaxSubRuleClauses>;
inline bool covers(NarrowSet a, NarrowSet b) {
  return (a & b) == b;
}
inline bool covers(const WideSet& a, const WideSet& b) {
  return (a & b) == b;
}
inline void addClause(NarrowSet& a, uint32_t i) {
  a |= NarrowSet{1} << i;
}
inline void addClause(WideSet& a, uint32_t i) {
  a.set(i);
}
template <class Set>
Set firstClauses(uint32_t n) {
  Set all{};
  for (uint32_t i = 0; i < n; ++i) addClause(all, i);
  return all;
}

// States kept per context. The kept states are an antichain of subsets of the clauses to
// bind, so with at most 10 of them (C(10,5) = 252) nothing is ever dropped and the answer is
// exact; beyond, this bounds the work on adversarial events and a match may be missed (never
// invented: every kept state is a consistent choice).
constexpr std::size_t kMaxStates = 256;

// Keeps the states no other state covers.
template <class Set>
void pruneStates(std::vector<Set>& v) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const Set st = v[i];
    bool dominated = false;
    std::size_t k = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const Set o = v[j];
      if (covers(o, st)) dominated = true;
      if (dominated || !covers(st, o)) v[k++] = o;  // drop o only if st covers it
    }
    n = k;
    if (!dominated) {
      v[n++] = st;
      if (n >= kMaxStates) break;
    }
  }
  v.resize(n);
}

// Is there an array-consistent choice of one item per clause 0..n-1? Items: (context,
// clause); contexts other than the root's, as consistentMatch leaves only those.
template <class Set>
bool coverable(Scratch& s, const std::vector<std::pair<uint32_t, uint32_t>>& items, uint32_t n) {
  const Set all = firstClauses<Set>(n);
  // Per-thread work space (match() may run on many threads).
  struct Group {
    uint32_t array_id;
    std::vector<Set> states;  // one per element with chosen leaves
  };
  struct Node {
    bool relevant = false;
    Set base{};
    std::vector<Group> groups;
  };
  thread_local std::vector<Node> nodes;
  thread_local std::vector<Set> cur, next;

  // The common shape: every item in an element of one array directly under the root. One
  // element must then hold them all.
  {
    uint32_t array = kNone;
    bool single = true;
    for (const auto& [c, k] : items) {
      const Ctx& cx = s.ctxs[c];
      if (cx.parent != 0 || (array != kNone && cx.array_id != array)) {
        single = false;
        break;
      }
      array = cx.array_id;
    }
    if (single) {
      auto& elems = [&]() -> std::vector<Set>& {
        if constexpr (std::is_same_v<Set, NarrowSet>) {
          return s.elem_sets;
        } else {
          thread_local std::vector<Set> wide;
          return wide;
        }
      }();
      auto& touched = s.touched;
      if (elems.size() < s.ctxs.size()) elems.resize(s.ctxs.size(), Set{});
      touched.clear();
      for (const auto& [c, k] : items) {
        if (elems[c] == Set{}) touched.push_back(c);
        addClause(elems[c], k);
      }
      bool ok = false;
      for (uint32_t c : touched) {
        ok = ok || covers(elems[c], all);
        elems[c] = Set{};  // left empty for the next call
      }
      return ok;
    }
  }

  // The general pass, bottom-up over the contexts (children have larger ids than their
  // parents): per context, the clause sets some consistent choice inside it binds. At an
  // array one element is chosen (or none); inside an object the arrays' choices combine.
  const std::size_t size = s.ctxs.size();
  if (nodes.size() < size) nodes.resize(size);
  for (std::size_t i = 0; i < size; ++i) {
    nodes[i].relevant = false;
    nodes[i].base = Set{};
    nodes[i].groups.clear();
  }
  for (const auto& [c, k] : items) {
    addClause(nodes[c].base, k);
    for (uint32_t x = c; x != kNone && !nodes[x].relevant; x = s.ctxs[x].parent)
      nodes[x].relevant = true;
  }
  for (std::size_t i = size; i-- > 0;) {
    Node& node = nodes[i];
    if (!node.relevant) continue;
    cur.assign(1, node.base);
    for (Group& g : node.groups) {
      pruneStates(g.states);
      next = cur;  // no element of this array chosen
      for (const Set& a : cur)
        for (const Set& b : g.states) next.push_back(a | b);
      pruneStates(next);
      cur.swap(next);
    }
    // A choice that binds every clause here extends to the root through the elements on
    // the way up.
    for (const Set& st : cur)
      if (covers(st, all)) return true;
    if (i == 0) break;
    Node& parent = nodes[s.ctxs[i].parent];
    const uint32_t array_id = s.ctxs[i].array_id;
    Group* g = nullptr;
    for (Group& pg : parent.groups)
      if (pg.array_id == array_id) g = &pg;
    if (g == nullptr) {
      parent.groups.push_back(Group{array_id, {}});
      g = &parent.groups.back();
    }
    for (const Set& st : cur)
      if (st != Set{}) g->states.push_back(st);
  }
  return false;
}

// The sub-rule's clauses against the recorded leaves, array-consistently. The caller has
// checked that every clause without an exists:false alternative has a matching leaf.
bool consistentMatch(const RuleSet::Impl& rs, Scratch& s, const SubRuleInfo& sr) {
  auto& items = s.items;
  items.clear();
  uint32_t bound = 0;  // clauses to bind inside array elements
  for (uint32_t cid : sr.clauses) {
    const ClauseInfo& ci = rs.clauses[cid];
    if (s.field_stamp[ci.field] != s.epoch) {
      if (ci.absent_ok) continue;  // exists:false: no leaf anywhere in the event
      return false;
    }
    const std::vector<Matcher>& ms = *rs.clause_matchers[cid];
    const std::size_t first = items.size();
    bool anywhere = false;  // a matching leaf outside every array element
    for (uint32_t li = s.field_head[ci.field]; li != kNone; li = s.leaves[li].prev) {
      const EvLeaf& l = s.leaves[li];
      bool hit = false;
      for (const Matcher& m : ms) {
        if (m.kind != Matcher::Kind::kAbsent && m.matches(l.leaf)) {
          hit = true;
          break;
        }
      }
      if (!hit) continue;
      if (l.ctx == 0) {
        anywhere = true;
        break;
      }
      items.emplace_back(l.ctx, bound);
    }
    if (anywhere) {
      items.resize(first);
      continue;
    }
    // The field has leaves, so exists:false is out; none matches a positive alternative.
    if (items.size() == first) return false;
    ++bound;
  }
  if (bound <= 1) return true;
  if (bound <= 64) return coverable<NarrowSet>(s, items, bound);
  return coverable<WideSet>(s, items, bound);
}

}  // namespace

RuleSet::RuleSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RuleSet::~RuleSet() = default;

std::size_t RuleSet::size() const {
  return impl_->names.size();
}
const std::string& RuleSet::ruleName(uint32_t index) const {
  return impl_->names.at(index);
}

RuleSet::Shape RuleSet::shape() const {
  return Shape{impl_->fields.size(), impl_->sub_rules.size(), impl_->clauses.size()};
}

Result<std::vector<uint32_t>> RuleSet::match(std::string_view event_json) const {
  Scratch& s = scratch();
  std::size_t need = event_json.size() + simdjson::SIMDJSON_PADDING;
  if (s.buf.size() < need) s.buf.resize(need);
  std::memcpy(s.buf.data(), event_json.data(), event_json.size());
  return matchBuffer(s.buf.data(), event_json.size(), s.buf.size());
}

Result<std::vector<uint32_t>> RuleSet::matchPadded(std::string_view event_json) const {
  static_assert(kPadding >= simdjson::SIMDJSON_PADDING);
  return matchBuffer(event_json.data(), event_json.size(), event_json.size() + kPadding);
}

Result<std::vector<uint32_t>> RuleSet::matchString(const std::string& event_json) const {
  return event_json.capacity() >= event_json.size() + kPadding ? matchPadded(event_json)
                                                               : match(event_json);
}

Result<std::vector<uint32_t>> RuleSet::matchBuffer(const char* data, std::size_t len,
                                                   std::size_t capacity) const {
  const Impl& rs = *impl_;
  Scratch& s = scratch();
  s.begin(rs);
  od::document doc;
  if (s.parser.iterate(data, len, capacity).get(doc)) {
    return fail("InvalidEvent", "event is not valid JSON");
  }
  od::json_type t;
  if (doc.type().get(t) || t != od::json_type::object) {
    return fail("InvalidEvent", "event is not a JSON object");
  }
  od::object root;
  if (doc.get_object().get(root)) return fail("InvalidEvent", "event is not a JSON object");
  Walker w(rs, s, data, len);
  if (!w.walkObject(root, 0, 0, 1)) return fail("InvalidEvent", "event is not valid JSON");

  std::vector<uint32_t> out;
  // Does any leaf of the clause's field satisfy one of its matchers?
  auto positive = [&](uint32_t cid) {
    const ClauseInfo& ci = rs.clauses[cid];
    if (s.clause_stamp[cid] == s.epoch) return true;  // fired in the index
    if (s.field_stamp[ci.field] != s.epoch) return false;
    const std::vector<Matcher>& ms = *rs.clause_matchers[cid];
    for (uint32_t li = s.field_head[ci.field]; li != kNone; li = s.leaves[li].prev) {
      for (const Matcher& m : ms) {
        if (m.kind != Matcher::Kind::kAbsent && m.matches(s.leaves[li].leaf)) return true;
      }
    }
    return false;
  };
  auto consider = [&](uint32_t sri) {
    const SubRuleInfo& sr = rs.sub_rules[sri];
    if (s.rule_stamp[sr.rule] == s.epoch) return;
    // Each clause on its own: a matching leaf, or exists:false and no leaf at all.
    for (uint32_t c : sr.clauses) {
      if (c == sr.access) continue;
      const ClauseInfo& ci = rs.clauses[c];
      if (!ci.absent_ok) {
        if (!positive(c)) return;
      } else if (s.field_stamp[ci.field] == s.epoch && !positive(c)) {
        return;
      }
    }
    // Arrays of objects: the leaves must also bind array-consistently.
    if (s.container_arrays && sr.clauses.size() >= 2 && !consistentMatch(rs, s, sr)) return;
    s.rule_stamp[sr.rule] = s.epoch;
    out.push_back(sr.rule);
  };
  for (uint32_t sr : s.candidates) consider(sr);
  for (uint32_t sr : rs.always) consider(sr);
  std::sort(out.begin(), out.end());
  return out;
}

// ------------------------------------------------------------------------- builder

struct RuleSetBuilder::Entry {
  std::string name;
  CompiledPattern pattern;
};

RuleSetBuilder::RuleSetBuilder() = default;
RuleSetBuilder::~RuleSetBuilder() = default;
std::size_t RuleSetBuilder::size() const {
  return rules_.size();
}

Result<uint32_t> RuleSetBuilder::add(std::string name, std::string_view pattern_json) {
  auto compiled = compilePattern(pattern_json);
  if (!compiled) return fail(compiled.error());
  rules_.push_back(Entry{std::move(name), std::move(*compiled)});
  return static_cast<uint32_t>(rules_.size() - 1);
}

namespace {

std::vector<std::string> splitPath(const std::string& p) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= p.size(); ++i) {
    if (i == p.size() || p[i] == '.') {
      out.push_back(p.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

void addTo(StrMap<std::vector<uint32_t>>& m, const std::string& k, uint32_t c) {
  m[k].push_back(c);
}

}  // namespace

std::shared_ptr<const RuleSet> RuleSetBuilder::build() {
  auto impl = std::make_unique<RuleSet::Impl>();
  impl->nodes.emplace_back();     // root
  StrMap<uint32_t> node_of_path;  // joined path -> node ("" key for the root is implicit)
  StrMap<uint32_t> field_of_path;

  auto fieldFor = [&](const std::string& path) -> uint32_t {
    auto it = field_of_path.find(path);
    if (it != field_of_path.end()) return it->second;
    std::vector<std::string> seg = splitPath(path);
    // Nodes for every prefix chain, and run edges for every (i, j).
    std::vector<uint32_t> chain{0};
    std::string joined;
    for (std::size_t i = 0; i < seg.size(); ++i) {
      joined = i == 0 ? seg[0] : joined + "." + seg[i];
      auto nit = node_of_path.find(joined);
      uint32_t id;
      if (nit == node_of_path.end()) {
        id = static_cast<uint32_t>(impl->nodes.size());
        impl->nodes.emplace_back();
        node_of_path.emplace(joined, id);
        // New node: add edges from every ancestor in the chain.
        for (std::size_t a = 0; a < chain.size(); ++a) {
          std::string run = seg[a];
          for (std::size_t b = a + 1; b <= i; ++b) run += "." + seg[b];
          impl->nodes[chain[a]].kids.emplace_back(std::move(run), id);
        }
      } else {
        id = nit->second;
      }
      chain.push_back(id);
    }
    auto f = static_cast<uint32_t>(impl->fields.size());
    impl->fields.emplace_back();
    impl->nodes[chain.back()].field = f;
    field_of_path.emplace(path, f);
    return f;
  };

  // Pass 1: clauses, and how many clauses share each indexed value (a popular value, like
  // "source": ["aws.guardduty"] in every rule, makes a poor access clause).
  StrMap<uint32_t> shared;
  auto valueKey = [](uint32_t f, const Matcher& m) {
    std::string k =
        std::to_string(f) + '\x01' + std::to_string(static_cast<int>(m.kind)) + '\x01' + m.text;
    if (m.kind == Matcher::Kind::kNumeric) {  // a range is its bounds (it has no text)
      char b[96];
      snprintf(b, sizeof b, "%d%d%a|%d%d%a", m.has_lo, m.lo_incl, m.lo, m.has_hi, m.hi_incl, m.hi);
      k += b;
    }
    return k;
  };
  for (uint32_t r = 0; r < rules_.size(); ++r) {
    impl->names.push_back(rules_[r].name);
    for (const SubRule& sub : rules_[r].pattern.sub_rules) {
      auto sri = static_cast<uint32_t>(impl->sub_rules.size());
      SubRuleInfo info{r, 0, {}};
      for (const Clause& cl : sub) {
        uint32_t f = fieldFor(cl.path);
        auto cid = static_cast<uint32_t>(impl->clauses.size());
        bool absent_ok = false;
        for (const Matcher& m : *cl.matchers) {
          if (m.kind == Matcher::Kind::kAbsent) absent_ok = true;
          shared[valueKey(f, m)]++;
          FieldIndex& fi = impl->fields[f];
          if (m.kind == Matcher::Kind::kNumber || m.kind == Matcher::Kind::kNumeric ||
              m.kind == Matcher::Kind::kAnythingBut)
            fi.needs_number = true;
          if (m.kind == Matcher::Kind::kIp) fi.needs_ip = true;
        }
        impl->clauses.push_back(ClauseInfo{sri, f, absent_ok});
        impl->clause_matchers.push_back(cl.matchers.get());
        impl->keep_alive.push_back(cl.matchers);
        if (!absent_ok) ++info.need;
        info.clauses.push_back(cid);
      }
      if (info.need == 0) impl->always.push_back(sri);
      impl->sub_rules.push_back(std::move(info));
    }
  }
  // Pass 2: per sub-rule, index only its most selective positive clause.
  auto kindCost = [](const Matcher& m) -> uint64_t {
    switch (m.kind) {
      case Matcher::Kind::kString:
      case Matcher::Kind::kNumber:
      case Matcher::Kind::kTrue:
      case Matcher::Kind::kFalse:
      case Matcher::Kind::kNull:
      case Matcher::Kind::kEqualsIc:
        return 1;
      case Matcher::Kind::kIp:
        return m.ip.lo == m.ip.hi ? 1 : 30;
      case Matcher::Kind::kPrefix:
      case Matcher::Kind::kSuffix:
      case Matcher::Kind::kPrefixIc:
      case Matcher::Kind::kSuffixIc:
        return m.text.size() >= 4 ? 3 : 10;
      case Matcher::Kind::kWildcard:
        return 30;
      case Matcher::Kind::kNumeric:
        return 4;  // a stab of the field's interval index
      default:
        return 1000;  // exists, anything-but: true for nearly every event
    }
  };
  for (SubRuleInfo& info : impl->sub_rules) {
    if (info.need == 0) continue;
    uint64_t best = UINT64_MAX;
    for (uint32_t cid : info.clauses) {
      const ClauseInfo& ci = impl->clauses[cid];
      if (ci.absent_ok) continue;
      uint64_t cost = 0;
      for (const Matcher& m : *impl->clause_matchers[cid])
        cost += kindCost(m) * shared[valueKey(ci.field, m)];
      if (cost < best) {
        best = cost;
        info.access = cid;
      }
    }
    // The other clauses are checked in this order once the access clause fires: those whose
    // values fewer sub-rules share first, as the likeliest to fail (a unique numeric range
    // before an exact value every candidate has).
    auto sharers = [&](uint32_t c) {
      uint64_t n = 0;
      for (const Matcher& m : *impl->clause_matchers[c])
        n += shared[valueKey(impl->clauses[c].field, m)];
      return n;
    };
    std::stable_sort(info.clauses.begin(), info.clauses.end(),
                     [&](uint32_t a, uint32_t b) { return sharers(a) < sharers(b); });
    uint32_t cid = info.access;
    uint32_t f = impl->clauses[cid].field;
    FieldIndex& fi = impl->fields[f];
    for (const Matcher& m : *impl->clause_matchers[cid]) {
      switch (m.kind) {
        case Matcher::Kind::kString:
          addTo(fi.pending.strings, m.text, cid);
          break;
        case Matcher::Kind::kNumber:
          addTo(fi.pending.literal_numbers, m.text, cid);
          if (m.comparable) {
            fi.numbers[m.num].push_back(cid);
            fi.needs_number = true;
          }
          break;
        case Matcher::Kind::kTrue:
          fi.trues.push_back(cid);
          break;
        case Matcher::Kind::kFalse:
          fi.falses.push_back(cid);
          break;
        case Matcher::Kind::kNull:
          fi.nulls.push_back(cid);
          break;
        case Matcher::Kind::kExists:
          fi.any_leaf.push_back(cid);
          break;
        case Matcher::Kind::kAbsent:
          break;
        case Matcher::Kind::kPrefix:
          addTo(fi.pending.prefixes, m.text, cid);
          fi.prefix_lens.push_back(static_cast<uint32_t>(m.text.size()));
          break;
        case Matcher::Kind::kSuffix:
          addTo(fi.pending.suffixes, m.text, cid);
          fi.suffix_lens.push_back(static_cast<uint32_t>(m.text.size()));
          break;
        case Matcher::Kind::kNumeric: {
          fi.needs_number = true;
          NumRange r;
          r.has_lo = m.has_lo;
          r.lo_incl = m.lo_incl;
          r.has_hi = m.has_hi;
          r.hi_incl = m.hi_incl;
          r.lo = m.lo;
          r.hi = m.hi;
          r.id = cid;
          fi.pending_ranges.push_back(r);
          break;
        }
        case Matcher::Kind::kAnythingBut:
          fi.needs_number = true;
          fi.others.emplace_back(&m, cid);
          break;
        case Matcher::Kind::kIp:
          fi.needs_ip = true;
          if (m.ip.lo == m.ip.hi) {
            IpAddr a;
            a.v6 = m.ip.v6;
            a.bytes = m.ip.lo;
            addTo(fi.pending.ip_exact, std::string(ipKey(a).view()), cid);
          } else {
            fi.others.emplace_back(&m, cid);
          }
          break;
        case Matcher::Kind::kEqualsIc:
        case Matcher::Kind::kPrefixIc:
        case Matcher::Kind::kSuffixIc:
          if (m.ic->ascii()) {
            const std::string& k = m.ic->asciiLower();
            if (m.kind == Matcher::Kind::kEqualsIc) {
              addTo(fi.pending.ic_equals, k, cid);
            } else if (m.kind == Matcher::Kind::kPrefixIc) {
              addTo(fi.pending.ic_prefixes, k, cid);
              fi.ic_prefix_lens.push_back(static_cast<uint32_t>(k.size()));
            } else {
              addTo(fi.pending.ic_suffixes, k, cid);
              fi.ic_suffix_lens.push_back(static_cast<uint32_t>(k.size()));
            }
          } else {
            fi.others.emplace_back(&m, cid);
          }
          break;
        default:
          fi.others.emplace_back(&m, cid);
          break;
      }
    }
  }
  for (FieldIndex& fi : impl->fields) {
    fi.strings.build(fi.pending.strings);
    fi.literal_numbers.build(fi.pending.literal_numbers);
    fi.prefixes.build(fi.pending.prefixes);
    fi.suffixes.build(fi.pending.suffixes);
    fi.ip_exact.build(fi.pending.ip_exact);
    fi.ic_equals.build(fi.pending.ic_equals);
    fi.ic_prefixes.build(fi.pending.ic_prefixes);
    fi.ic_suffixes.build(fi.pending.ic_suffixes);
    fi.pending = {};
    fi.ranges.build(std::move(fi.pending_ranges));
    fi.pending_ranges = {};
    for (auto* v : {&fi.prefix_lens, &fi.suffix_lens, &fi.ic_prefix_lens, &fi.ic_suffix_lens}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    // Several identical (matcher, clause) entries can come from duplicate values.
    for (auto* m : {&fi.trues, &fi.falses, &fi.nulls, &fi.any_leaf}) {
      m->erase(std::unique(m->begin(), m->end()), m->end());
    }
  }
  for (PathNode& n : impl->nodes) {
    if (n.kids.size() <= 8) {
      for (const auto& [k, id] : n.kids) {
        uint64_t w = 0;
        if (k.size() <= 8) std::memcpy(&w, k.data(), k.size());
        n.kid_words.push_back(w);
      }
    }
    if (n.kids.size() > 8) {
      std::vector<std::pair<std::string, std::vector<uint32_t>>> m;
      for (const auto& [k, id] : n.kids) m.emplace_back(k, std::vector<uint32_t>{id});
      n.kid_map.build(m);
    }
  }
  return std::shared_ptr<const RuleSet>(new RuleSet(std::move(impl)));
}

Result<void> validatePattern(std::string_view pattern_json) {
  auto c = compilePattern(pattern_json);
  if (!c) return fail(c.error());
  return {};
}

Result<bool> matches(std::string_view pattern_json, std::string_view event_json) {
  RuleSetBuilder b;
  auto added = b.add("pattern", pattern_json);
  if (!added) return fail(added.error());
  auto rs = b.build();
  auto m = rs->match(event_json);
  if (!m) return fail(m.error());
  return !m->empty();
}

}  // namespace riposte::pattern
