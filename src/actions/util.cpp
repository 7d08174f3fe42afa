#include "actions/util.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace riposte::actions {

Result<std::string> requireString(const json::value& input, std::string_view field) {
  if (!input.is_object()) return fail(kInvalidInput, "action input must be a JSON object");
  const json::value* v = input.as_object().if_contains(field);
  if (!v || !v->is_string() || v->as_string().empty()) {
    return fail(kInvalidInput,
                "input field \"" + std::string(field) + "\" (a non-empty string) is required");
  }
  return std::string(v->as_string());
}

Result<std::string> optionalString(const json::value& input, std::string_view field,
                                   std::string fallback) {
  if (!input.is_object()) return fail(kInvalidInput, "action input must be a JSON object");
  const json::value* v = input.as_object().if_contains(field);
  if (!v || v->is_null()) return fallback;
  if (!v->is_string()) {
    return fail(kInvalidInput, "input field \"" + std::string(field) + "\" must be a string");
  }
  return std::string(v->as_string());
}

Result<aws::Client*> clientOf(const ActionContext& ctx) {
  if (!ctx.aws) return fail(kNotConfigured, "no AWS client configured for this action");
  if (ctx.region.empty()) return fail(kInvalidInput, "no region: the finding names none");
  return ctx.aws;
}

Result<json::value> ec2Call(const ActionContext& ctx, std::string action, aws::Pairs params) {
  auto c = clientOf(ctx);
  if (!c) return fail(c.error());
  aws::Call call;
  call.service = "ec2";
  call.region = ctx.region;
  call.action = std::move(action);
  call.params = std::move(params);
  return (*c)->queryJson(call);
}

Result<json::value> describeInstance(const ActionContext& ctx, const std::string& instance_id) {
  auto r = ec2Call(ctx, "DescribeInstances", {{"InstanceId.1", instance_id}});
  if (!r) return fail(r.error());
  for (const auto& res : arrayAt(*r, "reservationSet")) {
    for (const auto& inst : arrayAt(res, "instancesSet")) {
      if (str(inst, "instanceId") == instance_id) return inst;
    }
  }
  return fail("InvalidInstanceID.NotFound", "The instance ID '" + instance_id + "' does not exist");
}

const json::array& arrayAt(const json::value& v, std::string_view key) {
  static const json::array kEmpty;
  if (!v.is_object()) return kEmpty;
  const json::value* m = v.as_object().if_contains(key);
  return (m && m->is_array()) ? m->as_array() : kEmpty;
}

std::string str(const json::value& v, std::string_view key) {
  if (!v.is_object()) return {};
  const json::value* m = v.as_object().if_contains(key);
  return (m && m->is_string()) ? std::string(m->as_string()) : std::string();
}

std::map<std::string, std::string> tagsOf(const json::value& resource) {
  std::map<std::string, std::string> tags;
  for (const auto& t : arrayAt(resource, "tagSet")) tags[str(t, "key")] = str(t, "value");
  return tags;
}

std::vector<std::string> groupIdsOf(const json::value& group_set) {
  std::vector<std::string> ids;
  if (!group_set.is_array()) return ids;
  for (const auto& g : group_set.as_array()) ids.push_back(str(g, "groupId"));
  return ids;
}

Result<void> checkNotProtected(const ActionContext& ctx,
                               const std::map<std::string, std::string>& tags,
                               std::string_view resource_id) {
  if (ctx.protection_tag.empty()) return {};
  auto it = tags.find(ctx.protection_tag);
  if (it == tags.end()) return {};
  std::string v = it->second;
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v != "true") return {};
  return fail(kResourceProtected, std::string(resource_id) + " carries the protection tag " +
                                      ctx.protection_tag + "=" + it->second +
                                      ": riposte does not modify it");
}

std::string joinList(const std::vector<std::string>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i];
  return s + "]";
}

json::array toJsonArray(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

Result<std::string> normalizeCidr(std::string_view ip, bool& ipv6) {
  std::string addr(ip);
  std::string prefix;
  if (auto slash = addr.find('/'); slash != std::string::npos) {
    prefix = addr.substr(slash + 1);
    addr = addr.substr(0, slash);
  }
  unsigned char buf[16];
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) {
    ipv6 = false;
    if (!prefix.empty() && prefix != "32") {
      return fail(kInvalidInput, "only single addresses (/32) are blocked, got " + std::string(ip));
    }
    return addr + "/32";
  }
  if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
    ipv6 = true;
    if (!prefix.empty() && prefix != "128") {
      return fail(kInvalidInput,
                  "only single addresses (/128) are blocked, got " + std::string(ip));
    }
    char out[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, buf, out, sizeof out);  // canonical form, as AWS reports it
    return std::string(out) + "/128";
  }
  return fail(kInvalidInput, "\"" + std::string(ip) + "\" is not an IPv4 or IPv6 address");
}

Result<ProfileAssociation> profileAssociation(const ActionContext& ctx, const std::string& id) {
  auto r = ec2Call(ctx, "DescribeIamInstanceProfileAssociations",
                   {{"Filter.1.Name", "instance-id"}, {"Filter.1.Value.1", id}});
  if (!r) return fail(r.error());
  for (const auto& a : arrayAt(*r, "iamInstanceProfileAssociationSet")) {
    const std::string state = str(a, "state");
    if (str(a, "instanceId") != id || (state != "associated" && state != "associating")) continue;
    ProfileAssociation p;
    p.association_id = str(a, "associationId");
    if (a.is_object() && a.as_object().contains("iamInstanceProfile")) {
      p.arn = str(a.at("iamInstanceProfile"), "arn");
    }
    return p;
  }
  return ProfileAssociation{};
}

Result<bool> terminationProtection(const ActionContext& ctx, const std::string& id) {
  auto r = ec2Call(ctx, "DescribeInstanceAttribute",
                   {{"InstanceId", id}, {"Attribute", "disableApiTermination"}});
  if (!r) return fail(r.error());
  const json::value* v = findPath(*r, "disableApiTermination.value");
  return v && v->is_string() && v->as_string() == "true";
}

const Clock& clockOf(const ActionContext& ctx) {
  return ctx.clock ? *ctx.clock : static_cast<const Clock&>(SystemClock::instance());
}

}  // namespace riposte::actions
