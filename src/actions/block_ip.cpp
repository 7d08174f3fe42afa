// aws.ec2.blockIp: an ingress deny entry for one address in the network ACL of a subnet, with
// a free rule number below every allow entry so that it takes effect.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "actions/registry.h"
#include "actions/util.h"
#include "core/log.h"

namespace riposte::actions {
namespace {

constexpr int kMaxRuleNumber = 32766;  // 32767 is the implicit deny-all

struct Entry {
  int rule_number = 0;
  std::string action, protocol, cidr;
  bool egress = false;
};

std::vector<Entry> entriesOf(const json::value& acl) {
  std::vector<Entry> out;
  for (const auto& e : arrayAt(acl, "entrySet")) {
    Entry x;
    try {
      x.rule_number = std::stoi(str(e, "ruleNumber"));
    } catch (...) {
      continue;
    }
    x.action = str(e, "ruleAction");
    x.protocol = str(e, "protocol");
    x.egress = str(e, "egress") == "true";
    x.cidr = str(e, "cidrBlock");
    if (x.cidr.empty()) x.cidr = str(e, "ipv6CidrBlock");
    out.push_back(std::move(x));
  }
  return out;
}

json::array entriesJson(const std::vector<Entry>& entries) {
  json::array a;
  for (const auto& e : entries) {
    a.push_back(json::object{{"ruleNumber", e.rule_number},
                             {"ruleAction", e.action},
                             {"protocol", e.protocol},
                             {"egress", e.egress},
                             {"cidr", e.cidr}});
  }
  return a;
}

Result<json::value> naclOfSubnet(const ActionContext& ctx, const std::string& subnet) {
  auto r = ec2Call(ctx, "DescribeNetworkAcls",
                   {{"Filter.1.Name", "association.subnet-id"}, {"Filter.1.Value.1", subnet}});
  if (!r) return fail(r.error());
  const auto& acls = arrayAt(*r, "networkAclSet");
  if (acls.empty()) {
    return fail("InvalidSubnetID.NotFound", "no network ACL is associated with subnet " + subnet);
  }
  return acls[0];
}

// Lowest rule number of an ingress allow entry (32767 when there is none).
int lowestAllow(const std::vector<Entry>& entries) {
  int low = kMaxRuleNumber + 1;
  for (const auto& e : entries) {
    if (!e.egress && e.action == "allow") low = std::min(low, e.rule_number);
  }
  return low;
}

const Entry* effectiveDeny(const std::vector<Entry>& entries, const std::string& cidr) {
  const int low = lowestAllow(entries);
  for (const auto& e : entries) {
    if (!e.egress && e.action == "deny" && e.cidr == cidr && e.rule_number < low &&
        e.protocol == "-1") {
      return &e;
    }
  }
  return nullptr;
}

// blockIp's fallback when the ACL has no free rule number: aws.wafv2.blockIp on the IP set
// named by "wafIpSetName" (and "wafIpSetId", "wafScope").
Result<ActionOutcome> fallbackToWaf(const json::value& input, ActionContext& ctx,
                                    const Error& why) {
  json::object waf_input{{"ip", input.at("ip")}, {"ipSetName", input.at("wafIpSetName")}};
  if (const json::value* id = input.as_object().if_contains("wafIpSetId"))
    waf_input["ipSetId"] = *id;
  if (const json::value* sc = input.as_object().if_contains("wafScope")) waf_input["scope"] = *sc;
  auto r = makeWafBlockIp()->run(waf_input, ctx);
  if (!r)
    return fail(r.error().code, r.error().message + " (WAF fallback after: " + why.message + ")");
  r->output.as_object()["fallback"] = "wafv2";
  r->output.as_object()["networkAclFull"] = why.message;
  r->summary += " (network ACL full: " + why.message + ")";
  r->output.as_object()["summary"] = r->summary;
  return r;
}

Result<json::value> naclById(const ActionContext& ctx, const std::string& acl_id);

// ---- The rule-number range riposte owns (input "ruleRange": {"first", "last"}) ----
// Which entries of the range riposte made is recorded on the network ACL itself, as one tag
// per rule number: "riposte:nacl-rule:<n>" =
// "<cidr> <created epoch s> <last used epoch s> <incident>". The last use is refreshed each
// time the address is blocked again (a new finding about it), so eviction takes the least
// recently used entry. (Records written before the last use was kept,
// "<cidr> <created> <incident>", read as last used when created.)
// An entry is riposte's only when its tag names exactly its CIDR and it is an all-protocol
// ingress deny: anything else in the range (no tag, another CIDR) is someone else's and is
// never evicted. Every worker sees the same record, and it survives restarts.
constexpr std::string_view kSlotTagPrefix = "riposte:nacl-rule:";

struct SlotRange {
  int first = 0, last = 0;
  int64_t ttl_seconds = 0;  // a riposte entry may be evicted once unused for this long
};

struct SlotRecord {
  std::string cidr, incident;
  int64_t created = 0;
  int64_t last_used = 0;

  bool operator==(const SlotRecord&) const = default;
};

bool allDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<SlotRecord> parseSlotTag(const std::string& value) {
  std::istringstream in(value);
  SlotRecord r;
  if (!(in >> r.cidr >> r.created)) return std::nullopt;
  r.last_used = r.created;
  std::string third;
  if (in >> third) {
    if (allDigits(third)) {
      try {
        r.last_used = std::stoll(third);
      } catch (...) {
        return std::nullopt;
      }
      in >> r.incident;
    } else {
      r.incident = third;  // the older record without a last use
    }
  }
  return r;
}

std::string slotTagValue(const SlotRecord& r) {
  return r.cidr + " " + std::to_string(r.created) + " " + std::to_string(r.last_used) +
         (r.incident.empty() ? "" : " " + r.incident);
}

std::string slotTagKey(int n) {
  return std::string(kSlotTagPrefix) + std::to_string(n);
}

// The record of entry `e` when it is a riposte-made entry (its tag names its CIDR and it is an
// all-protocol ingress deny).
std::optional<SlotRecord> ownedRecord(const std::map<std::string, std::string>& tags,
                                      const Entry& e) {
  if (e.egress || e.action != "deny" || e.protocol != "-1") return std::nullopt;
  auto t = tags.find(slotTagKey(e.rule_number));
  if (t == tags.end()) return std::nullopt;
  auto rec = parseSlotTag(t->second);
  if (!rec || rec->cidr != e.cidr) return std::nullopt;
  return rec;
}

Result<std::optional<SlotRange>> slotRangeOf(const json::value& input) {
  const json::value* r = input.as_object().if_contains("ruleRange");
  if (!r) return std::optional<SlotRange>();
  // -1 for a missing or non-numeric bound.
  auto bound = [&](std::string_view key) -> double {
    const json::value* v = r->is_object() ? r->as_object().if_contains(key) : nullptr;
    return v ? asNumber(*v).value_or(-1.0) : -1.0;
  };
  const double first = bound("first"), last = bound("last");
  if (first < 1 || last > kMaxRuleNumber || first > last) {
    return fail(kInvalidInput,
                "ruleRange must be {\"first\": n, \"last\": m} with 1 <= n <= m <= " +
                    std::to_string(kMaxRuleNumber));
  }
  SlotRange out{static_cast<int>(first), static_cast<int>(last), 0};
  if (const json::value* t = input.as_object().if_contains("ttlSeconds")) {
    auto v = asNumber(*t);
    if (!v || *v < 0) return fail(kInvalidInput, "ttlSeconds must be a number >= 0");
    out.ttl_seconds = static_cast<int64_t>(*v);
  }
  return std::optional<SlotRange>(out);
}

// The riposte-made entries of the range (rule number → record), from the ACL's entries and tags.
std::map<int, SlotRecord> ownedSlots(const json::value& acl, const SlotRange& range) {
  std::map<int, SlotRecord> out;
  const auto tags = tagsOf(acl);
  for (const auto& e : entriesOf(acl)) {
    if (e.egress || e.rule_number < range.first || e.rule_number > range.last) continue;
    if (auto rec = ownedRecord(tags, e)) out[e.rule_number] = *rec;
  }
  return out;
}

class BlockIp final : public BuiltinAction {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor kD{
        .name = "aws.ec2.blockIp",
        .description =
            "Blocks one IP address (IPv4 /32 or IPv6 /128) from entering a subnet: adds an "
            "ingress deny entry for all protocols to the network ACL associated with the "
            "instance's subnet (or the given subnet), with the lowest free rule number below "
            "every allow entry so that it takes effect; a rule number taken concurrently is "
            "skipped. With a managed rule range it records its entries on the ACL and evicts "
            "the least recently used one when the range is full; with \"wafIpSetName\" a full "
            "ACL falls back to aws.wafv2.blockIp. Refuses protected instances.",
        .role = Role::kContain,
        .permissions =
            {awsPermission("ec2:DescribeInstances"), awsPermission("ec2:DescribeNetworkAcls"),
             awsPermission("ec2:CreateNetworkAclEntry"),
             // The managed range: its records on the ACL, and the eviction of an old entry.
             awsPermission("ec2:CreateTags", {kEc2NetworkAcl}),
             awsPermission("ec2:DeleteNetworkAclEntry"),
             onlyWithParameter(awsPermission("wafv2:ListIPSets"), "wafIpSetName"),
             onlyWithParameter(awsPermission("wafv2:GetIPSet"), "wafIpSetName"),
             onlyWithParameter(awsPermission("wafv2:UpdateIPSet"), "wafIpSetName")},
        .undo = "aws.ec2.unblockIp",
        .undo_note =
            "deletes the recorded deny entry (or removes the address from the WAF IP "
            "set it fell back to); an entry evicted meanwhile is not recreated.",
        .targets = {{TargetKind::kEc2Instance, "instanceId"}, {TargetKind::kEc2Subnet, "subnetId"}},
        .blocked_address = "ip",
    };
    return kD;
  }

  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    auto ip = requireString(input, "ip");
    if (!ip) return fail(ip.error());
    bool ipv6 = false;
    auto cidr = normalizeCidr(*ip, ipv6);
    if (!cidr) return fail(cidr.error());
    auto subnet = optionalString(input, "subnetId");
    if (!subnet) return fail(subnet.error());
    auto instance_id = optionalString(input, "instanceId");
    if (!instance_id) return fail(instance_id.error());
    if (subnet->empty() && instance_id->empty()) {
      return fail(kInvalidInput, "input needs \"instanceId\" or \"subnetId\"");
    }
    auto range = slotRangeOf(input);
    if (!range) return fail(range.error());
    if (auto c = clientOf(ctx); !c) return fail(c.error());

    std::string subnet_id = *subnet;
    if (subnet_id.empty()) {
      auto inst = describeInstance(ctx, *instance_id);
      if (!inst) return fail(inst.error());
      if (auto p = checkNotProtected(ctx, tagsOf(*inst), *instance_id); !p) return fail(p.error());
      subnet_id = str(*inst, "subnetId");
      if (subnet_id.empty()) return fail(kInvalidInput, *instance_id + " has no subnet");
    }

    auto acl = naclOfSubnet(ctx, subnet_id);
    if (!acl) return fail(acl.error());
    const std::string acl_id = str(*acl, "networkAclId");
    if (auto p = checkNotProtected(ctx, tagsOf(*acl), acl_id); !p) return fail(p.error());
    std::vector<Entry> entries = entriesOf(*acl);
    std::vector<Entry> ingress;
    for (const auto& e : entries)
      if (!e.egress) ingress.push_back(e);

    ActionOutcome out;
    out.before = json::object{
        {"networkAclId", acl_id}, {"subnetId", subnet_id}, {"entries", entriesJson(ingress)}};
    if (const Entry* d = effectiveDeny(entries, *cidr)) {
      out.changed = false;
      out.after = json::object{{"networkAclId", acl_id},
                               {"ruleNumber", d->rule_number},
                               {"cidr", *cidr},
                               {"egress", false}};
      out.output = json::object{{"networkAclId", acl_id},
                                {"subnetId", subnet_id},
                                {"ruleNumber", d->rule_number},
                                {"cidr", *cidr},
                                {"changed", false}};
      out.summary = *cidr + " is already denied by rule " + std::to_string(d->rule_number) +
                    " of " + acl_id + ": nothing changed";
      // A riposte-made entry is in use again: refresh its last use, so that eviction keeps it
      // over entries nobody has needed for longer.
      if (auto rec = ownedRecord(tagsOf(*acl), *d)) {
        const int64_t now_s = clockOf(ctx).nowMillis() / 1000;
        if (ctx.dry_run) {
          out.output.as_object()["dryRun"] = true;
          out.summary += " (dry run: would record its last use)";
        } else if (now_s > rec->last_used) {
          SlotRecord used = *rec;
          used.last_used = now_s;
          auto tagged = ec2Call(ctx, "CreateTags",
                                {{"ResourceId.1", acl_id},
                                 {"Tag.1.Key", slotTagKey(d->rule_number)},
                                 {"Tag.1.Value", slotTagValue(used)}});
          if (tagged) {
            out.output.as_object()["lastUsedAt"] = formatIso8601Millis(now_s * 1000, false);
            out.summary += " (last use recorded)";
          } else {
            // The block stands; only the eviction order is less exact. Said, not hidden.
            out.output.as_object()["lastUseNotRecorded"] = tagged.error().str();
            logWarn("nacl entry last use not recorded", {{"nacl", acl_id},
                                                         {"rule", std::to_string(d->rule_number)},
                                                         {"error", tagged.error().str()}});
          }
        }
      }
      return out;
    }

    json::value acl_now = *acl;  // the latest read of the ACL (entries and tags)
    json::value evicted = nullptr;
    for (int attempt = 0; attempt < 8; ++attempt) {
      std::set<int> used;
      for (const auto& e : entries)
        if (!e.egress) used.insert(e.rule_number);
      const int low = lowestAllow(entries);
      const int from = *range ? (*range)->first : 1;
      const int to = *range ? std::min((*range)->last, low - 1) : low - 1;
      int rule = 0;
      for (int n = from; n <= to; ++n) {
        if (!used.count(n)) {
          rule = n;
          break;
        }
      }
      // The range is full: the least recently used riposte-made entry, unused for at least
      // its TTL, makes room (ties: the older, then the lower rule number).
      std::optional<std::pair<int, SlotRecord>> victim;
      if (rule == 0 && *range) {
        const int64_t now_s = clockOf(ctx).nowMillis() / 1000;
        for (const auto& [n, rec] : ownedSlots(acl_now, **range)) {
          if (n > to || now_s - rec.last_used < (*range)->ttl_seconds) continue;
          if (!victim || std::pair(rec.last_used, rec.created) <
                             std::pair(victim->second.last_used, victim->second.created))
            victim = std::make_pair(n, rec);
        }
        if (victim) rule = victim->first;
      }
      if (rule == 0) {
        Error full{"NetworkAclFull",
                   *range ? "the rule numbers " + std::to_string(from) + "-" +
                                std::to_string((*range)->last) + " riposte manages in " + acl_id +
                                " are taken by entries that are not riposte's or were used "
                                "less than " +
                                std::to_string((*range)->ttl_seconds) + " s ago"
                          : "no free rule number below the first allow entry (" +
                                std::to_string(low) + ") in " + acl_id};
        // Never a silent skip: fall back to the WAF IP set when one is configured.
        if (input.as_object().contains("wafIpSetName")) return fallbackToWaf(input, ctx, full);
        return fail(full);
      }
      if (victim && ctx.dry_run) {
        out.changed = false;
        out.after = out.before;
        out.output = json::object{{"networkAclId", acl_id},
                                  {"subnetId", subnet_id},
                                  {"ruleNumber", rule},
                                  {"cidr", *cidr},
                                  {"wouldEvict", victim->second.cidr},
                                  {"dryRun", true}};
        out.summary = "dry run: would evict " + victim->second.cidr + " from rule " +
                      std::to_string(rule) + " of " + acl_id + " and deny " + *cidr + " there";
        return out;
      }
      if (victim) {
        // Fail closed: re-read right before deleting; the entry must still be the recorded one.
        auto fresh = naclById(ctx, acl_id);
        if (!fresh) return fail(fresh.error());
        auto still = ownedSlots(*fresh, **range);
        auto it = still.find(rule);
        if (it == still.end() || !(it->second == victim->second)) {
          acl_now = *fresh;  // changed (or used again) under us: decide again
          entries = entriesOf(acl_now);
          continue;
        }
        auto del = ec2Call(
            ctx, "DeleteNetworkAclEntry",
            {{"NetworkAclId", acl_id}, {"RuleNumber", std::to_string(rule)}, {"Egress", "false"}});
        if (!del) {
          // A concurrent evictor deleted it first: re-read and decide again.
          auto again = naclById(ctx, acl_id);
          if (!again) return fail(again.error());
          acl_now = *again;
          entries = entriesOf(acl_now);
          continue;
        }
        evicted = json::object{
            {"ruleNumber", rule},
            {"cidr", victim->second.cidr},
            {"incidentId", victim->second.incident},
            {"createdAt", formatIso8601Millis(victim->second.created * 1000, false)},
            {"lastUsedAt", formatIso8601Millis(victim->second.last_used * 1000, false)}};
        logInfo("nacl entry evicted", {{"cidr", victim->second.cidr},
                                       {"nacl", acl_id},
                                       {"rule", std::to_string(rule)},
                                       {"incident", ctx.incident_id}});
      }
      if (ctx.dry_run) {
        out.changed = false;
        out.after = out.before;
        out.output = json::object{{"networkAclId", acl_id},
                                  {"subnetId", subnet_id},
                                  {"ruleNumber", rule},
                                  {"cidr", *cidr},
                                  {"dryRun", true}};
        out.summary = "dry run: would deny " + *cidr + " inbound at rule " + std::to_string(rule) +
                      " of " + acl_id;
        return out;
      }
      aws::Pairs p{{"NetworkAclId", acl_id},
                   {"RuleNumber", std::to_string(rule)},
                   {"Protocol", "-1"},
                   {"RuleAction", "deny"},
                   {"Egress", "false"}};
      p.emplace_back(ipv6 ? "Ipv6CidrBlock" : "CidrBlock", *cidr);
      auto created = ec2Call(ctx, "CreateNetworkAclEntry", std::move(p));
      if (!created) {
        if (created.error().code != "NetworkAclEntryAlreadyExists") return fail(created.error());
        // Taken concurrently: re-read and pick again.
        auto again = naclOfSubnet(ctx, subnet_id);
        if (!again) return fail(again.error());
        acl_now = *again;
        entries = entriesOf(*again);
        bool found_taken = false;
        for (const auto& e : entries) found_taken |= (!e.egress && e.rule_number == rule);
        if (!found_taken) entries.push_back(Entry{rule, "unknown", "-1", "", false});
        if (const Entry* d = effectiveDeny(entries, *cidr)) {  // a concurrent run blocked it
          out.changed = false;
          out.after = json::object{{"networkAclId", acl_id},
                                   {"ruleNumber", d->rule_number},
                                   {"cidr", *cidr},
                                   {"egress", false}};
          out.output = json::object{{"networkAclId", acl_id},
                                    {"subnetId", subnet_id},
                                    {"ruleNumber", d->rule_number},
                                    {"cidr", *cidr},
                                    {"changed", false}};
          out.summary = *cidr + " was denied concurrently by rule " +
                        std::to_string(d->rule_number) + " of " + acl_id + ": nothing changed";
          return out;
        }
        continue;
      }
      if (*range) {
        // Record the entry as riposte's; without the record it could never be evicted, so a
        // failed record rolls the entry back.
        const int64_t now_s = clockOf(ctx).nowMillis() / 1000;
        const std::string value = slotTagValue(SlotRecord{*cidr, ctx.incident_id, now_s, now_s});
        auto tagged = ec2Call(
            ctx, "CreateTags",
            {{"ResourceId.1", acl_id}, {"Tag.1.Key", slotTagKey(rule)}, {"Tag.1.Value", value}});
        if (!tagged) {
          (void)ec2Call(ctx, "DeleteNetworkAclEntry",
                        {{"NetworkAclId", acl_id},
                         {"RuleNumber", std::to_string(rule)},
                         {"Egress", "false"}});
          return fail(tagged.error().code,
                      "could not record rule " + std::to_string(rule) + " of " + acl_id +
                          " as riposte's (entry removed): " + tagged.error().message);
        }
      }
      // Verify with a read.
      auto now = naclOfSubnet(ctx, subnet_id);
      if (!now) return fail(now.error());
      const std::vector<Entry> now_entries = entriesOf(*now);
      if (!effectiveDeny(now_entries, *cidr)) {
        return fail(kVerificationFailed, "after CreateNetworkAclEntry, " + acl_id +
                                             " has no effective deny entry for " + *cidr);
      }
      out.changed = true;
      out.after = json::object{
          {"networkAclId", acl_id}, {"ruleNumber", rule}, {"cidr", *cidr}, {"egress", false}};
      out.output = json::object{{"networkAclId", acl_id},
                                {"subnetId", subnet_id},
                                {"ruleNumber", rule},
                                {"cidr", *cidr},
                                {"changed", true}};
      out.summary = "denied " + *cidr + " inbound at rule " + std::to_string(rule) + " of " +
                    acl_id + " (subnet " + subnet_id + ")";
      if (*range) {
        out.output.as_object()["ruleRange"] =
            json::object{{"first", (*range)->first}, {"last", (*range)->last}};
        out.after.as_object()["recorded"] = slotTagKey(rule);
      }
      if (!evicted.is_null()) {
        out.output.as_object()["evicted"] = evicted;
        out.after.as_object()["evicted"] = evicted;
        out.summary += ", evicting the least recently used riposte entry (" +
                       std::string(evicted.at("cidr").as_string()) + ")";
      }
      logInfo("ip blocked", {{"cidr", *cidr}, {"nacl", acl_id}, {"incident", ctx.incident_id}});
      return out;
    }
    return fail("NetworkAclEntryAlreadyExists",
                "could not find a free rule number in " + acl_id + " after 8 attempts");
  }
};

Result<json::value> naclById(const ActionContext& ctx, const std::string& acl_id) {
  auto r = ec2Call(ctx, "DescribeNetworkAcls", {{"NetworkAclId.1", acl_id}});
  if (!r) return fail(r.error());
  const auto& acls = arrayAt(*r, "networkAclSet");
  if (acls.empty()) {
    return fail("InvalidNetworkAclID.NotFound", "The network ACL '" + acl_id + "' does not exist");
  }
  return acls[0];
}

class UnblockIp final : public BuiltinAction {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor kD{
        .name = "aws.ec2.unblockIp",
        .description =
            "Removes the ingress deny entry aws.ec2.blockIp added for an address. Takes the "
            "network ACL and rule number blockIp recorded, or the instance / subnet and the "
            "address; deletes only deny entries for exactly that address, never another entry "
            "(and the entry's record in a managed range). When blockIp fell back to a WAF IP "
            "set, removes the address from it (aws.wafv2.unblockIp).",
        .role = Role::kRestore,
        .permissions = {awsPermission("ec2:DescribeInstances"),
                        awsPermission("ec2:DescribeNetworkAcls"),
                        awsPermission("ec2:DeleteNetworkAclEntry"),
                        awsPermission("ec2:DeleteTags", {kEc2NetworkAcl}),
                        // Only when the blocking Task named a WAF IP set to fall back to.
                        onlyWithParameter(awsPermission("wafv2:ListIPSets"), "wafIpSetName"),
                        onlyWithParameter(awsPermission("wafv2:GetIPSet"), "wafIpSetName"),
                        onlyWithParameter(awsPermission("wafv2:UpdateIPSet"), "wafIpSetName")},
    };
    return kD;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    if (input.is_object() && stringAt(input, "fallback").value_or("") == "wafv2") {
      return makeWafUnblockIp()->run(input, ctx);  // blockIp fell back to the WAF IP set
    }
    auto ip = optionalString(input, "ip");
    if (!ip) return fail(ip.error());
    auto cidr_in = optionalString(input, "cidr", *ip);
    if (!cidr_in) return fail(cidr_in.error());
    if (cidr_in->empty()) return fail(kInvalidInput, "input needs \"ip\" or \"cidr\"");
    bool ipv6 = false;
    auto cidr = normalizeCidr(*cidr_in, ipv6);
    if (!cidr) return fail(cidr.error());
    auto acl_id_in = optionalString(input, "networkAclId");
    if (!acl_id_in) return fail(acl_id_in.error());
    auto subnet = optionalString(input, "subnetId");
    if (!subnet) return fail(subnet.error());
    auto instance_id = optionalString(input, "instanceId");
    if (!instance_id) return fail(instance_id.error());
    std::optional<int> rule_number;
    if (const json::value* rn = input.as_object().if_contains("ruleNumber")) {
      auto n = asNumber(*rn);
      if (!n) return fail(kInvalidInput, "ruleNumber must be a number");
      rule_number = static_cast<int>(*n);
    }
    if (auto c = clientOf(ctx); !c) return fail(c.error());

    Result<json::value> acl = fail("", "");
    if (!acl_id_in->empty()) {
      acl = naclById(ctx, *acl_id_in);
    } else {
      std::string subnet_id = *subnet;
      if (subnet_id.empty()) {
        if (instance_id->empty()) {
          return fail(kInvalidInput,
                      "input needs \"networkAclId\", \"subnetId\" or \"instanceId\"");
        }
        auto inst = describeInstance(ctx, *instance_id);
        if (!inst) return fail(inst.error());
        subnet_id = str(*inst, "subnetId");
      }
      acl = naclOfSubnet(ctx, subnet_id);
    }
    if (!acl) return fail(acl.error());
    const std::string acl_id = str(*acl, "networkAclId");
    std::vector<Entry> entries = entriesOf(*acl);
    std::vector<int> to_delete;
    for (const auto& e : entries) {
      if (!e.egress && e.action == "deny" && e.cidr == *cidr && e.rule_number < 32767 &&
          (!rule_number || *rule_number == e.rule_number)) {
        to_delete.push_back(e.rule_number);
      }
    }
    ActionOutcome out;
    json::array removed;
    for (int n : to_delete) removed.emplace_back(n);
    out.before = json::object{{"networkAclId", acl_id}, {"entries", entriesJson(entries)}};
    if (to_delete.empty()) {
      out.changed = false;
      out.after = out.before;
      out.output = json::object{{"networkAclId", acl_id}, {"cidr", *cidr}, {"changed", false}};
      out.summary = "no deny entry for " + *cidr + " in " + acl_id + ": nothing changed";
      return out;
    }
    if (ctx.dry_run) {
      out.changed = false;
      out.after = out.before;
      out.output = json::object{
          {"networkAclId", acl_id}, {"cidr", *cidr}, {"ruleNumbers", removed}, {"dryRun", true}};
      out.summary = "dry run: would remove the deny entry for " + *cidr + " from " + acl_id;
      return out;
    }
    for (int n : to_delete) {
      auto r = ec2Call(
          ctx, "DeleteNetworkAclEntry",
          {{"NetworkAclId", acl_id}, {"RuleNumber", std::to_string(n)}, {"Egress", "false"}});
      if (!r) return fail(r.error());
    }
    // Entries riposte recorded in a managed range: drop their records too.
    {
      const auto tags = tagsOf(*acl);
      aws::Pairs untag{{"ResourceId.1", acl_id}};
      int k = 0;
      for (int n : to_delete) {
        auto t = tags.find(slotTagKey(n));
        if (t == tags.end()) continue;
        auto rec = parseSlotTag(t->second);
        if (!rec || rec->cidr != *cidr) continue;
        untag.emplace_back("Tag." + std::to_string(++k) + ".Key", slotTagKey(n));
      }
      if (k > 0) {
        if (auto r = ec2Call(ctx, "DeleteTags", std::move(untag)); !r) return fail(r.error());
      }
    }
    auto now = naclById(ctx, acl_id);
    if (!now) return fail(now.error());
    for (const auto& e : entriesOf(*now)) {
      for (int n : to_delete) {
        if (!e.egress && e.rule_number == n) {
          return fail(kVerificationFailed, "rule " + std::to_string(n) + " is still in " + acl_id);
        }
      }
    }
    out.changed = true;
    out.after = json::object{{"networkAclId", acl_id}, {"entries", entriesJson(entriesOf(*now))}};
    out.output = json::object{
        {"networkAclId", acl_id}, {"cidr", *cidr}, {"ruleNumbers", removed}, {"changed", true}};
    out.summary = "removed the deny entry for " + *cidr + " (rule " +
                  std::to_string(to_delete.front()) + ") from " + acl_id;
    return out;
  }
};

}  // namespace

std::shared_ptr<const Action> makeBlockIp() {
  return std::make_shared<BlockIp>();
}
std::shared_ptr<const Action> makeUnblockIp() {
  return std::make_shared<UnblockIp>();
}

}  // namespace riposte::actions
