// aws.wafv2.blockIp / aws.wafv2.unblockIp: an address in a WAFv2 IP set (used by a WAF rule
// that blocks it), with optimistic-lock retries.
#include <algorithm>

#include "actions/registry.h"
#include "actions/util.h"

namespace riposte::actions {
namespace {

constexpr int kLockAttempts = 5;

struct IpSetRef {
  std::string name, id, scope;
};

Result<json::value> waf(const ActionContext& ctx, const std::string& op, json::object body) {
  if (!ctx.aws) return fail(kNotConfigured, "no AWS client configured for this action");
  aws::Call call;
  call.service = "wafv2";
  call.region = ctx.region;
  call.action = "AWSWAF_20190729." + op;
  call.body = std::move(body);
  return ctx.aws->jsonRpc(call);
}

Result<IpSetRef> resolveIpSet(const json::value& input, const ActionContext& ctx) {
  IpSetRef ref;
  auto name = requireString(input, "ipSetName");
  if (!name) return fail(name.error());
  ref.name = *name;
  auto id = optionalString(input, "ipSetId");
  if (!id) return fail(id.error());
  auto scope = optionalString(input, "scope", "REGIONAL");
  if (!scope) return fail(scope.error());
  if (*scope != "REGIONAL" && *scope != "CLOUDFRONT") {
    return fail(kInvalidInput, "scope must be REGIONAL or CLOUDFRONT");
  }
  ref.scope = *scope;
  ref.id = *id;
  if (!ref.id.empty()) return ref;
  json::value marker = nullptr;
  for (int page = 0; page < 50; ++page) {
    json::object body{{"Scope", ref.scope}, {"Limit", 100}};
    if (marker.is_string()) body["NextMarker"] = marker;
    auto r = waf(ctx, "ListIPSets", body);
    if (!r) return fail(r.error());
    for (const auto& s : arrayAt(*r, "IPSets")) {
      if (str(s, "Name") == ref.name) {
        ref.id = str(s, "Id");
        return ref;
      }
    }
    const json::value* next = r->is_object() ? r->as_object().if_contains("NextMarker") : nullptr;
    if (!next || !next->is_string() || next->as_string().empty()) break;
    marker = *next;
  }
  return fail("WAFNonexistentItemException",
              "no WAFv2 IP set named " + ref.name + " (" + ref.scope + ") in " + ctx.region);
}

class WafIpSet final : public BuiltinAction {
 public:
  explicit WafIpSet(bool add) : add_(add) {}
  const Descriptor& descriptor() const override {
    static const Descriptor kBlock{
        .name = "aws.wafv2.blockIp",
        .description =
            "Adds an address (/32 or /128) to a WAFv2 IP set that a web ACL rule blocks: "
            "GetIPSet, then UpdateIPSet with the lock token, re-reading and retrying on "
            "WAFOptimisticLockException. Already present → nothing changed.",
        .role = Role::kContain,
        .permissions = {awsPermission("wafv2:ListIPSets"), awsPermission("wafv2:GetIPSet"),
                        awsPermission("wafv2:UpdateIPSet")},
        .undo = "aws.wafv2.unblockIp",
        .undo_note = "removes the address from the IP set again.",
        .targets = {{TargetKind::kWafIpSet, "ipSetName"}},
        .blocked_address = "ip",
        // "cidr" is read when "ip" is empty: both are checked against the trusted lists.
        .blocks = {.members = {"ip", "cidr"}},
    };
    static const Descriptor kUnblock{
        .name = "aws.wafv2.unblockIp",
        .description =
            "Removes an address from a WAFv2 IP set, with the same lock-token "
            "retries.",
        .role = Role::kRestore,
        .permissions = {awsPermission("wafv2:ListIPSets"), awsPermission("wafv2:GetIPSet"),
                        awsPermission("wafv2:UpdateIPSet")},
    };
    return add_ ? kBlock : kUnblock;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    auto ip_in = optionalString(input, "ip");
    if (!ip_in) return fail(ip_in.error());
    auto ip = optionalString(input, "cidr", *ip_in);  // the undo passes blockIp's output
    if (!ip) return fail(ip.error());
    if (ip->empty()) return fail(kInvalidInput, "input field \"ip\" (an address) is required");
    bool ipv6 = false;
    auto cidr = normalizeCidr(*ip, ipv6);
    if (!cidr) return fail(cidr.error());
    if (!ctx.aws) return fail(kNotConfigured, "no AWS client configured for this action");
    if (ctx.region.empty()) return fail(kInvalidInput, "no region");
    auto ref = resolveIpSet(input, ctx);
    if (!ref) return fail(ref.error());

    ActionOutcome out;
    for (int attempt = 1; attempt <= kLockAttempts; ++attempt) {
      auto got =
          waf(ctx, "GetIPSet", {{"Name", ref->name}, {"Scope", ref->scope}, {"Id", ref->id}});
      if (!got) return fail(got.error());
      std::vector<std::string> addresses;
      if (const json::value* set = got->as_object().if_contains("IPSet")) {
        for (const auto& a : arrayAt(*set, "Addresses")) {
          if (a.is_string()) addresses.emplace_back(a.as_string());
        }
      }
      const std::string token = str(*got, "LockToken");
      const bool present = std::find(addresses.begin(), addresses.end(), *cidr) != addresses.end();
      out.before = json::object{{"ipSetId", ref->id}, {"addresses", toJsonArray(addresses)}};
      json::object common{
          {"ipSetName", ref->name}, {"ipSetId", ref->id}, {"scope", ref->scope}, {"cidr", *cidr}};
      if (present == add_) {
        out.changed = false;
        out.after = out.before;
        out.output = common;
        out.output.as_object()["changed"] = false;
        out.summary = *cidr + (add_ ? " is already in" : " is not in") + " WAF IP set " +
                      ref->name + ": nothing changed";
        return out;
      }
      std::vector<std::string> next = addresses;
      if (add_) {
        next.push_back(*cidr);
      } else {
        next.erase(std::remove(next.begin(), next.end(), *cidr), next.end());
      }
      if (ctx.dry_run) {
        out.changed = false;
        out.after = out.before;
        out.output = common;
        out.output.as_object()["dryRun"] = true;
        out.summary = std::string("dry run: would ") + (add_ ? "add " : "remove ") + *cidr +
                      (add_ ? " to" : " from") + " WAF IP set " + ref->name;
        return out;
      }
      auto upd = waf(ctx, "UpdateIPSet",
                     {{"Name", ref->name},
                      {"Scope", ref->scope},
                      {"Id", ref->id},
                      {"Addresses", toJsonArray(next)},
                      {"LockToken", token}});
      if (!upd) {
        if (upd.error().code == "WAFOptimisticLockException" && attempt < kLockAttempts) continue;
        return fail(upd.error());
      }
      out.changed = true;
      out.after = json::object{{"ipSetId", ref->id}, {"addresses", toJsonArray(next)}};
      out.output = common;
      out.output.as_object()["changed"] = true;
      out.output.as_object()["lockAttempts"] = attempt;
      out.summary = std::string(add_ ? "added " : "removed ") + *cidr + (add_ ? " to" : " from") +
                    " WAF IP set " + ref->name + " (" + ref->scope + ")";
      return out;
    }
    return fail("WAFOptimisticLockException", "IP set " + ref->name + " kept changing");
  }

 private:
  bool add_;
};

}  // namespace

std::shared_ptr<const Action> makeWafBlockIp() {
  return std::make_shared<WafIpSet>(true);
}
std::shared_ptr<const Action> makeWafUnblockIp() {
  return std::make_shared<WafIpSet>(false);
}

}  // namespace riposte::actions
