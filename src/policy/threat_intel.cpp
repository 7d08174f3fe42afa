#include "policy/threat_intel.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "pattern/pattern.h"
#include "policy/json_scan.h"
#include "policy/range_index.h"

namespace riposte::policy {
namespace {

using detail::RangeIndex;
using detail::U128;

constexpr std::size_t kMaxListName = 128;
constexpr std::size_t kMaxLists = 65535;

// ------------------------------------------------------------------ the fields walked
//
// One tree says which members of an event hold remote addresses; the walker follows it and
// remoteAddressFields() prints it.

enum class Shape : uint8_t {
  kObject,   // descend into an object
  kObjects,  // descend into every object of an array
  kFlow,     // an object whose source/destination ends are chosen by its Direction member
  kString,   // one address
  kStrings,  // an array of addresses
};
enum class Role : uint8_t { kRemote, kSource, kDestination, kDirection };

struct FieldNode {
  std::string_view key;
  Shape shape;
  Role role = Role::kRemote;
  std::vector<FieldNode> children = {};
};

FieldNode obj(std::string_view key, std::vector<FieldNode> children) {
  return FieldNode{key, Shape::kObject, Role::kRemote, std::move(children)};
}
FieldNode objs(std::string_view key, std::vector<FieldNode> children) {
  return FieldNode{key, Shape::kObjects, Role::kRemote, std::move(children)};
}
FieldNode addr(std::string_view key, Role role = Role::kRemote) {
  return FieldNode{key, Shape::kString, role};
}

const FieldNode& detailTree() {
  static const auto* tree = [] {
    // GuardDuty's RemoteIpDetails (API reference; botocore guardduty 2017-11-28).
    auto gdRemote = [] {
      return obj("remoteIpDetails", {addr("ipAddressV4"), addr("ipAddressV6")});
    };
    // Security Hub's ActionRemoteIpDetails has IpAddressV4 only.
    auto asffRemote = [] { return obj("RemoteIpDetails", {addr("IpAddressV4")}); };
    return new FieldNode(obj(
        "detail",
        {obj("service",
             {obj("action", {obj("networkConnectionAction", {gdRemote()}),
                             obj("awsApiCallAction", {gdRemote()}),
                             obj("kubernetesApiCallAction",
                                 {gdRemote(), FieldNode{"sourceIPs", Shape::kStrings},
                                  FieldNode{"sourceIps", Shape::kStrings}}),
                             obj("rdsLoginAttemptAction", {gdRemote()}),
                             obj("portProbeAction", {objs("portProbeDetails", {gdRemote()})})})}),
         objs("findings",
              {FieldNode{"Network",
                         Shape::kFlow,
                         Role::kRemote,
                         {addr("SourceIpV4", Role::kSource), addr("SourceIpV6", Role::kSource),
                          addr("DestinationIpV4", Role::kDestination),
                          addr("DestinationIpV6", Role::kDestination),
                          FieldNode{"Direction", Shape::kString, Role::kDirection}}},
               obj("Action",
                   {obj("NetworkConnectionAction", {asffRemote()}),
                    obj("AwsApiCallAction", {asffRemote()}),
                    obj("PortProbeAction", {objs("PortProbeDetails", {asffRemote()})})})})}));
  }();
  return *tree;
}

void listFields(const FieldNode& n, const std::string& prefix,
                std::vector<RemoteAddressField>& out) {
  std::string path = prefix.empty() ? std::string(n.key) : prefix + "." + std::string(n.key);
  switch (n.shape) {
    case Shape::kObject:
    case Shape::kFlow:
      for (const auto& c : n.children) listFields(c, path, out);
      break;
    case Shape::kObjects:
      for (const auto& c : n.children) listFields(c, path + "[]", out);
      break;
    case Shape::kString:
      if (n.role == Role::kSource) {
        out.push_back({path, "remote when the Network's Direction is IN, or absent"});
      } else if (n.role == Role::kDestination) {
        out.push_back({path, "remote when the Network's Direction is OUT, or absent"});
      } else if (n.role == Role::kRemote) {
        out.push_back({path, ""});
      }
      break;
    case Shape::kStrings:
      out.push_back({path + "[]", ""});
      break;
  }
}

const FieldNode* childOf(const FieldNode& n, std::string_view key) {
  for (const auto& c : n.children) {
    if (c.key == key) return &c;
  }
  return nullptr;
}

// Whether one end of an ASFF Network is the remote one, by the Network's Direction.
bool flowRemote(Role role, std::string_view direction) {
  return role == Role::kSource ? direction != "OUT" : direction != "IN";
}

// ------------------------------------------------------------------ the walk

struct MemberSpan {
  const char* begin;  // the key's opening quote
  const char* end;    // after the value
  bool riposte;
};

struct RootInfo {
  const char* close = nullptr;  // the root's closing brace
  std::vector<MemberSpan> members;
  bool has_riposte = false;
};

template <class Sink>
class Walker {
 public:
  Walker(const char* begin, const char* end, Sink& sink) : c_(begin, end), sink_(sink) {}

  Result<void> root(RootInfo& info) {
    info.members.reserve(16);
    if (!c_.consume('{')) return bad("the event is not a JSON object");
    if (c_.peek() == '}') {
      info.close = c_.pos();
      c_.consume('}');
      return end();
    }
    while (true) {
      c_.ws();
      const char* begin = c_.pos();
      std::string_view key;
      if (!c_.text(key, key_scratch_)) return bad("a malformed key");
      if (!c_.consume(':')) return bad("no ':' after a key");
      bool riposte = key == "riposte";
      if (key == "detail" && c_.peek() == '{') {
        if (!object(detailTree())) return bad("a malformed value under \"detail\"");
      } else if (!c_.skipValue()) {
        return bad("a malformed value");
      }
      info.members.push_back(MemberSpan{begin, c_.pos(), riposte});
      info.has_riposte |= riposte;
      if (c_.consume(',')) continue;
      if (c_.peek() != '}') return bad("expected ',' or '}' after a member");
      info.close = c_.pos();
      c_.consume('}');
      return end();
    }
  }

 private:
  // The ends of one ASFF Network object, emitted once its Direction is known.
  struct Flow {
    struct End {
      Role role;
      std::optional<IpAddress> address;
    };
    std::vector<End> ends;
    std::string direction;

    void add(Role r, std::optional<IpAddress> a) { ends.push_back(End{r, a}); }
    void emit(Sink& sink) const {
      for (const auto& e : ends) {
        if (!flowRemote(e.role, direction)) continue;
        if (e.address) {
          sink.add(*e.address);
        } else {
          ++sink.skipped;
        }
      }
    }
  };

  Result<void> end() {
    if (!c_.atEnd()) return bad("text after the root object");
    return {};
  }
  static tl::unexpected<Error> bad(const std::string& why) {
    return fail("InvalidEvent", "the event is not valid JSON where riposte reads it: " + why);
  }

  // At '{' of an object the tree descends into.
  bool object(const FieldNode& node) {
    if (!c_.consume('{')) return false;
    Flow flow;
    if (c_.peek() != '}') {
      while (true) {
        std::string_view key;
        if (!c_.text(key, key_scratch_)) return false;
        if (!c_.consume(':')) return false;
        const FieldNode* child = childOf(node, key);
        if (!child) {
          if (!c_.skipValue()) return false;
        } else if (!member(*child, node.shape == Shape::kFlow ? &flow : nullptr)) {
          return false;
        }
        if (c_.consume(',')) continue;
        break;
      }
    }
    if (!c_.consume('}')) return false;
    if (node.shape == Shape::kFlow) flow.emit(sink_);
    return true;
  }

  bool member(const FieldNode& n, Flow* flow) {
    char next = c_.peek();
    switch (n.shape) {
      case Shape::kObject:
      case Shape::kFlow:
        return next == '{' ? object(n) : c_.skipValue();
      case Shape::kObjects:
        if (next != '[') return c_.skipValue();
        c_.consume('[');
        if (c_.peek() != ']') {
          while (true) {
            if (c_.peek() == '{') {
              if (!object(n)) return false;
            } else if (!c_.skipValue()) {
              return false;
            }
            if (!c_.consume(',')) break;
          }
        }
        return c_.consume(']');
      case Shape::kString:
        return value(n.role, flow);
      case Shape::kStrings:
        if (next != '[') {
          if (next != 'n') ++sink_.skipped;
          return c_.skipValue();
        }
        c_.consume('[');
        if (c_.peek() != ']') {
          while (true) {
            if (!value(Role::kRemote, nullptr)) return false;
            if (!c_.consume(',')) break;
          }
        }
        return c_.consume(']');
    }
    return false;
  }

  // One value that should be an address (or, for kDirection, the flow's direction).
  bool value(Role role, Flow* flow) {
    if (c_.peek() != '"') {
      if (c_.peek() != 'n' && role != Role::kDirection) {
        // Not null, not a string: not an address.
        if (flow && role != Role::kRemote) {
          flow->add(role, std::nullopt);
        } else {
          ++sink_.skipped;
        }
      }
      return c_.skipValue();
    }
    std::string_view text;
    if (!c_.text(text, value_scratch_)) return false;
    if (role == Role::kDirection) {
      if (flow) flow->direction = std::string(text.substr(0, 8));
      return true;
    }
    auto a = IpAddress::make(text);
    if (flow && role != Role::kRemote) {
      flow->add(role, a ? std::optional<IpAddress>(*a) : std::nullopt);
    } else if (a) {
      sink_.add(*a);
    } else {
      ++sink_.skipped;
    }
    return true;
  }

  scan::Cursor c_;
  Sink& sink_;
  std::string key_scratch_, value_scratch_;
};

// Collects addresses in the order found, each once.
struct AddressSink {
  RemoteAddresses& out;
  std::size_t& skipped;

  struct Hash {
    std::size_t operator()(U128 k) const {
      auto lo = static_cast<uint64_t>(k), hi = static_cast<uint64_t>(k >> 64);
      return std::hash<uint64_t>{}(lo ^ (hi * 0x9e3779b97f4a7c15ULL));
    }
  };
  std::unordered_set<U128, Hash> seen;  // used beyond kLinear addresses
  static constexpr std::size_t kLinear = 32;

  static U128 key(const IpAddress& a) {
    return (U128{a.hi()} << 64 | a.lo()) ^ (a.isV4() ? U128{1} << 127 : U128{0});
  }
  void add(const IpAddress& a) {
    auto& v = out.addresses;
    if (v.size() < kLinear) {
      if (std::find(v.begin(), v.end(), a) != v.end()) return;
    } else {
      if (seen.empty()) {
        for (const auto& x : v) seen.insert(key(x));
      }
      if (!seen.insert(key(a)).second) return;
    }
    v.push_back(a);
  }
};

bool validListName(std::string_view n) {
  if (n.empty() || n.size() > kMaxListName) return false;
  for (char c : n) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

U128 key6(const IpAddress& a) {
  return U128{a.hi()} << 64 | a.lo();
}

}  // namespace

// ------------------------------------------------------------------ public helpers

std::string_view verdictName(Verdict v) {
  return v == Verdict::kMalicious ? "malicious" : "trusted";
}

Result<Verdict> verdictFromName(std::string_view name) {
  if (name == "malicious") return Verdict::kMalicious;
  if (name == "trusted") return Verdict::kTrusted;
  return fail("InvalidVerdict",
              "unknown verdict '" + std::string(name) + "' (known: malicious, trusted)");
}

const std::vector<RemoteAddressField>& remoteAddressFields() {
  static const auto* fields = [] {
    auto* v = new std::vector<RemoteAddressField>();
    listFields(detailTree(), "", *v);
    return v;
  }();
  return *fields;
}

Result<RemoteAddresses> extractRemoteAddresses(std::string_view event_json) {
  RemoteAddresses out;
  AddressSink sink{out, out.skipped, {}};
  RootInfo info;
  Walker<AddressSink> w(event_json.data(), event_json.data() + event_json.size(), sink);
  if (auto r = w.root(info); !r) return fail(r.error());
  return out;
}

namespace {

// The same fields read from a DOM (what the sources hold before they store an event).
template <class Sink>
void domValue(const json::value& v, Sink& sink) {
  if (v.is_null()) return;
  if (!v.is_string()) {
    ++sink.skipped;
    return;
  }
  if (auto a = IpAddress::make(std::string_view(v.get_string()))) {
    sink.add(*a);
  } else {
    ++sink.skipped;
  }
}

template <class Sink>
void domObject(const json::object& o, const FieldNode& node, Sink& sink) {
  std::string_view direction;
  if (node.shape == Shape::kFlow) {
    for (const auto& c : node.children) {
      if (c.role != Role::kDirection) continue;
      if (auto it = o.find(c.key); it != o.end() && it->value().is_string())
        direction = it->value().get_string();
    }
  }
  for (const auto& c : node.children) {
    auto it = o.find(c.key);
    if (it == o.end()) continue;
    const json::value& v = it->value();
    switch (c.shape) {
      case Shape::kObject:
      case Shape::kFlow:
        if (v.is_object()) domObject(v.get_object(), c, sink);
        break;
      case Shape::kObjects:
        if (v.is_array()) {
          for (const auto& e : v.get_array()) {
            if (e.is_object()) domObject(e.get_object(), c, sink);
          }
        }
        break;
      case Shape::kString:
        if (c.role == Role::kDirection) break;
        if (c.role != Role::kRemote && !flowRemote(c.role, direction)) break;
        domValue(v, sink);
        break;
      case Shape::kStrings:
        if (v.is_array()) {
          for (const auto& e : v.get_array()) domValue(e, sink);
        } else if (!v.is_null()) {
          ++sink.skipped;
        }
        break;
    }
  }
}

}  // namespace

EventAddresses remoteAddressesOf(const json::value& event) {
  EventAddresses out;
  if (!event.is_object()) return out;
  const auto& root = event.get_object();
  out.root_riposte = root.contains("riposte");
  AddressSink sink{out.remote, out.remote.skipped, {}};
  if (auto it = root.find("detail"); it != root.end() && it->value().is_object())
    domObject(it->value().get_object(), detailTree(), sink);
  return out;
}

// ------------------------------------------------------------------ the index

struct ThreatIntel::Impl {
  std::vector<ListInfo> lists;              // by list id (sorted by name)
  std::vector<std::vector<uint16_t>> sets;  // by set id: the list ids, ascending
  std::vector<ListMatch> matches;           // by set id
  std::vector<std::string> members;         // by set id: the "riposte" member's text
  RangeIndex<uint32_t> v4;
  RangeIndex<U128> v6;
  std::size_t cidrs = 0;
  // The trusted lists alone, as disjoint ranges: keys strictly increasing from 0, values[i]
  // the set id of [keys[i], keys[i+1]) (trustedOverlapping reads every range of a CIDR).
  std::vector<uint32_t> trusted_keys4, trusted_values4;
  std::vector<U128> trusted_keys6;
  std::vector<uint32_t> trusted_values6;
  std::vector<std::vector<uint16_t>> trusted_sets;  // by the values' set id: list ids

  uint32_t setOf(const IpAddress& a) const {
    return a.isV4() ? v4.find(a.v4Bits()) : v6.find(key6(a));
  }

  ListMatch matchOf(const std::vector<uint16_t>& ids) const {
    ListMatch m;
    for (auto id : ids) {
      const auto& l = lists[id];
      (l.verdict == Verdict::kMalicious ? m.malicious : m.trusted).push_back(l.name);
    }
    return m;
  }

  static std::string memberOf(const ListMatch& m) {
    std::string s = R"("riposte":{"threatIntel":{"malicious":[)";
    for (std::size_t i = 0; i < m.malicious.size(); ++i) {
      s += (i ? ",\"" : "\"") + m.malicious[i] + "\"";  // names need no escaping
    }
    s += R"(],"trusted":[)";
    for (std::size_t i = 0; i < m.trusted.size(); ++i) {
      s += (i ? ",\"" : "\"") + m.trusted[i] + "\"";
    }
    return s + "]}}";
  }
};

struct ThreatIntelBuilder::List {
  std::string name;
  Verdict verdict;
  std::vector<Cidr> entries;
};

namespace {

// Interns sets of list ids (set 0 = no list).
class SetTable {
 public:
  SetTable() { id({}); }
  uint32_t id(const std::vector<uint16_t>& lists) {
    std::string k(reinterpret_cast<const char*>(lists.data()), lists.size() * sizeof(uint16_t));
    auto [it, added] = ids_.try_emplace(std::move(k), static_cast<uint32_t>(sets_.size()));
    if (added) sets_.push_back(lists);
    return it->second;
  }
  std::vector<std::vector<uint16_t>> take() { return std::move(sets_); }

 private:
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::vector<uint16_t>> sets_;
};

// Cuts the CIDRs of one family into disjoint ranges labelled by the lists covering them:
// `keys` strictly increasing from 0, values[i] the set of [keys[i], keys[i+1]).
template <class Key>
void sweep(const std::vector<std::pair<uint16_t, const Cidr*>>& cidrs, std::size_t nlists,
           SetTable& table, std::vector<Key>& keys, std::vector<uint32_t>& values) {
  struct Ev {
    Key at;
    uint16_t list;
    bool start;
  };
  auto keyOf = [](const IpAddress& a) -> Key {
    if constexpr (sizeof(Key) == 4) {
      return a.v4Bits();
    } else {
      return key6(a);
    }
  };
  std::vector<Ev> evs;
  evs.reserve(cidrs.size() * 2);
  for (const auto& [list, c] : cidrs) {
    Key first = keyOf(c->first()), last = keyOf(c->last());
    evs.push_back(Ev{first, list, true});
    if (last != static_cast<Key>(~Key{0}))
      evs.push_back(Ev{static_cast<Key>(last + 1), list, false});
  }
  std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.at < b.at; });
  std::vector<uint32_t> count(nlists, 0);
  std::vector<uint16_t> active;
  keys.clear();
  values.clear();
  if (evs.empty() || evs[0].at != 0) {
    keys.push_back(0);
    values.push_back(0);
  }
  for (std::size_t i = 0; i < evs.size();) {
    Key at = evs[i].at;
    for (; i < evs.size() && evs[i].at == at; ++i) {
      uint16_t l = evs[i].list;
      if (evs[i].start) {
        if (count[l]++ == 0) active.insert(std::lower_bound(active.begin(), active.end(), l), l);
      } else if (--count[l] == 0) {
        active.erase(std::lower_bound(active.begin(), active.end(), l));
      }
    }
    uint32_t id = table.id(active);
    if (keys.empty() || values.back() != id) {
      keys.push_back(at);
      values.push_back(id);
    }
  }
}

template <class Key>
void sweep(const std::vector<std::pair<uint16_t, const Cidr*>>& cidrs, std::size_t nlists,
           SetTable& table, RangeIndex<Key>& index) {
  std::vector<Key> keys;
  std::vector<uint32_t> values;
  sweep(cidrs, nlists, table, keys, values);
  index.build(keys, std::move(values));
}

// The set ids of every range of `keys`/`values` that [first, last] meets.
template <class Key>
void setsMeeting(const std::vector<Key>& keys, const std::vector<uint32_t>& values, Key first,
                 Key last, std::set<uint32_t>& out) {
  if (keys.empty()) return;
  auto lo = std::upper_bound(keys.begin(), keys.end(), first) - keys.begin() - 1;
  auto hi = std::upper_bound(keys.begin(), keys.end(), last) - keys.begin();
  for (auto i = lo; i < hi; ++i) out.insert(values[static_cast<std::size_t>(i)]);
}

}  // namespace

ThreatIntelBuilder::ThreatIntelBuilder() = default;
ThreatIntelBuilder::~ThreatIntelBuilder() = default;

std::size_t ThreatIntelBuilder::size() const {
  return lists_.size();
}

Result<void> ThreatIntelBuilder::add(std::string name, Verdict verdict, std::vector<Cidr> entries) {
  if (!validListName(name)) {
    return fail("InvalidListName", "list name '" + name.substr(0, kMaxListName) +
                                       "' must be 1-128 characters of A-Z a-z 0-9 . _ -");
  }
  for (const auto& l : lists_) {
    if (l.name == name)
      return fail("DuplicateList", "a list named '" + name + "' is already added");
  }
  if (lists_.size() == kMaxLists) {
    return fail("TooManyLists", "at most " + std::to_string(kMaxLists) + " lists");
  }
  lists_.push_back(List{std::move(name), verdict, std::move(entries)});
  return {};
}

std::shared_ptr<const ThreatIntel> ThreatIntelBuilder::build() const {
  auto impl = std::make_unique<ThreatIntel::Impl>();
  std::vector<const List*> order;
  for (const auto& l : lists_) order.push_back(&l);
  std::sort(order.begin(), order.end(),
            [](const List* a, const List* b) { return a->name < b->name; });
  std::vector<std::pair<uint16_t, const Cidr*>> v4, v6;
  for (std::size_t id = 0; id < order.size(); ++id) {
    const List& l = *order[id];
    impl->lists.push_back(ThreatIntel::ListInfo{l.name, l.verdict, l.entries.size()});
    impl->cidrs += l.entries.size();
    for (const auto& c : l.entries) {
      (c.family() == IpFamily::kV4 ? v4 : v6).emplace_back(static_cast<uint16_t>(id), &c);
    }
  }
  SetTable table;
  sweep<uint32_t>(v4, order.size(), table, impl->v4);
  sweep<U128>(v6, order.size(), table, impl->v6);
  std::vector<std::pair<uint16_t, const Cidr*>> t4, t6;
  for (const auto& e : v4)
    if (order[e.first]->verdict == Verdict::kTrusted) t4.push_back(e);
  for (const auto& e : v6)
    if (order[e.first]->verdict == Verdict::kTrusted) t6.push_back(e);
  SetTable trusted_table;  // its own ids: the index's sets are what stats() counts
  sweep<uint32_t>(t4, order.size(), trusted_table, impl->trusted_keys4, impl->trusted_values4);
  sweep<U128>(t6, order.size(), trusted_table, impl->trusted_keys6, impl->trusted_values6);
  impl->trusted_sets = trusted_table.take();
  impl->sets = table.take();
  for (const auto& s : impl->sets) {
    impl->matches.push_back(impl->matchOf(s));
    impl->members.push_back(ThreatIntel::Impl::memberOf(impl->matches.back()));
  }
  return std::shared_ptr<const ThreatIntel>(new ThreatIntel(std::move(impl)));
}

ThreatIntel::ThreatIntel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ThreatIntel::~ThreatIntel() = default;

std::shared_ptr<const ThreatIntel> ThreatIntel::empty() {
  static const auto e = ThreatIntelBuilder().build();
  return e;
}

const ListMatch& ThreatIntel::lookup(const IpAddress& a) const {
  return impl_->matches[impl_->setOf(a)];
}

std::vector<std::string> ThreatIntel::trustedOverlapping(const Cidr& c) const {
  std::set<uint32_t> sets;
  if (c.family() == IpFamily::kV4) {
    setsMeeting(impl_->trusted_keys4, impl_->trusted_values4, c.first().v4Bits(), c.last().v4Bits(),
                sets);
  } else {
    setsMeeting(impl_->trusted_keys6, impl_->trusted_values6, key6(c.first()), key6(c.last()),
                sets);
  }
  std::set<uint16_t> ids;  // list ids are in name order
  for (uint32_t s : sets) {
    ids.insert(impl_->trusted_sets[s].begin(), impl_->trusted_sets[s].end());
  }
  std::vector<std::string> out;
  for (uint16_t id : ids) out.push_back(impl_->lists[id].name);
  return out;
}

const std::vector<ThreatIntel::ListInfo>& ThreatIntel::lists() const {
  return impl_->lists;
}

ThreatIntel::Stats ThreatIntel::stats() const {
  Stats s;
  s.lists = impl_->lists.size();
  s.cidrs = impl_->cidrs;
  s.boundaries_v4 = impl_->v4.boundaries();
  s.boundaries_v6 = impl_->v6.boundaries();
  s.list_sets = impl_->sets.size();
  s.radix_tables = impl_->v4.tables() + impl_->v6.tables();
  s.index_bytes = impl_->v4.bytes() + impl_->v6.bytes();
  return s;
}

namespace {

// Collects the distinct list sets of the addresses found (usually none or one).
struct SetSink {
  const ThreatIntel::Impl& impl;
  std::size_t skipped = 0;
  std::size_t addresses = 0;
  uint32_t sets[4] = {0, 0, 0, 0};
  int nsets = 0;
  std::vector<uint32_t> more;

  void add(const IpAddress& a) {
    ++addresses;
    uint32_t id = impl.setOf(a);
    if (id == 0) return;
    for (int i = 0; i < nsets; ++i) {
      if (sets[i] == id) return;
    }
    if (nsets < 4) {
      sets[nsets++] = id;
    } else if (std::find(more.begin(), more.end(), id) == more.end()) {
      more.push_back(id);
    }
  }
};

}  // namespace

namespace {

// The "riposte" member for the list sets found: precomputed for one set, else merged.
const std::string& memberFor(const ThreatIntel::Impl& impl, const SetSink& sink,
                             std::string& merged) {
  const auto* impl_ = &impl;
  if (sink.nsets <= 1) return impl_->members[sink.nsets == 1 ? sink.sets[0] : 0];
  std::vector<uint16_t> ids;
  for (int i = 0; i < sink.nsets; ++i) {
    const auto& s = impl_->sets[sink.sets[i]];
    ids.insert(ids.end(), s.begin(), s.end());
  }
  for (auto id : sink.more) {
    const auto& s = impl_->sets[id];
    ids.insert(ids.end(), s.begin(), s.end());
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  merged = ThreatIntel::Impl::memberOf(impl_->matchOf(ids));
  return merged;
}

}  // namespace

Result<ThreatIntel::EnrichStats> ThreatIntel::enrich(std::string_view event_json,
                                                     std::string& out) const {
  out.clear();
  SetSink sink{*impl_, 0, 0, {0, 0, 0, 0}, 0, {}};
  RootInfo info;
  Walker<SetSink> w(event_json.data(), event_json.data() + event_json.size(), sink);
  if (auto r = w.root(info); !r) return fail(r.error());

  std::string merged;
  const std::string* member = &memberFor(*impl_, sink, merged);

  const char* begin = event_json.data();
  std::size_t size = event_json.size() + member->size() + 2;
  out.reserve(size + pattern::RuleSet::kPadding);
  if (!info.has_riposte) {
    out.append(begin, static_cast<std::size_t>(info.close - begin));
    if (!info.members.empty()) out += ',';
  } else {
    out += '{';
    for (const auto& m : info.members) {
      if (m.riposte) continue;
      out.append(m.begin, static_cast<std::size_t>(m.end - m.begin));
      out += ',';
    }
  }
  out += *member;
  out += '}';
  return EnrichStats{sink.addresses, sink.skipped, info.has_riposte};
}

Result<std::string> ThreatIntel::enrich(std::string_view event_json) const {
  std::string out;
  auto r = enrich(event_json, out);
  if (!r) return fail(r.error());
  return out;
}

Result<ThreatIntel::EventVerdict> ThreatIntel::explain(std::string_view event_json) const {
  auto found = extractRemoteAddresses(event_json);
  if (!found) return fail(found.error());
  EventVerdict v;
  v.skipped = found->skipped;
  std::set<std::string> malicious, trusted;
  for (const auto& a : found->addresses) {
    const ListMatch& m = lookup(a);
    malicious.insert(m.malicious.begin(), m.malicious.end());
    trusted.insert(m.trusted.begin(), m.trusted.end());
    v.addresses.push_back(AddressVerdict{a, m});
  }
  v.lists.malicious.assign(malicious.begin(), malicious.end());
  v.lists.trusted.assign(trusted.begin(), trusted.end());
  return v;
}

Result<ThreatIntel::EnrichStats> ThreatIntel::appendThreatIntel(
    std::string& event_json, const EventAddresses& addresses) const {
  if (addresses.root_riposte) {
    // The event carries its own member: cut it out (the cursor's path).
    std::string out;
    auto r = enrich(event_json, out);
    if (!r) return fail(r.error());
    event_json.swap(out);
    return r;
  }
  auto space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  std::size_t close = event_json.size();
  while (close > 0 && space(event_json[close - 1])) --close;
  std::size_t before = close > 0 ? close - 1 : 0;
  while (before > 0 && space(event_json[before - 1])) --before;
  if (close < 2 || event_json[close - 1] != '}' || event_json.find('{') == std::string::npos) {
    return fail("InvalidEvent", "the event is not a JSON object");
  }
  SetSink sink{*impl_, addresses.remote.skipped, 0, {0, 0, 0, 0}, 0, {}};
  for (const auto& a : addresses.remote.addresses) sink.add(a);
  std::string merged;
  const std::string& member = memberFor(*impl_, sink, merged);
  bool empty_root = before > 0 && event_json[before - 1] == '{';
  event_json.resize(close - 1);
  event_json.reserve(close + member.size() + 2 + pattern::RuleSet::kPadding);
  if (!empty_root) event_json += ',';
  event_json += member;
  event_json += '}';
  return EnrichStats{sink.addresses, sink.skipped, false};
}

ThreatIntelHolder::ThreatIntelHolder(std::shared_ptr<const ThreatIntel> initial)
    : current_(std::move(initial)) {}

}  // namespace riposte::policy
