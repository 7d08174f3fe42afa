#pragma once
// Helpers shared by the built-in actions: input validation, EC2 reads, tags, protection.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actions/action.h"

namespace riposte::actions {

// Required string member of an object input; InvalidInput naming the field otherwise.
Result<std::string> requireString(const json::value& input, std::string_view field);
// Optional string member ("" when absent); InvalidInput when present but not a string.
Result<std::string> optionalString(const json::value& input, std::string_view field,
                                   std::string fallback = "");

// The AWS client of the context, or NotConfigured.
Result<aws::Client*> clientOf(const ActionContext& ctx);

// One EC2 Query call in ctx.region, the response as JSON (aws::xmlToJson).
Result<json::value> ec2Call(const ActionContext& ctx, std::string action, aws::Pairs params);

// DescribeInstances for one id → the instance object (instancesSet item).
Result<json::value> describeInstance(const ActionContext& ctx, const std::string& instance_id);

// tagSet → map.
std::map<std::string, std::string> tagsOf(const json::value& resource);
// groupSet → ids, in order.
std::vector<std::string> groupIdsOf(const json::value& group_set);
// Array member `key` of an object, or an empty array.
const json::array& arrayAt(const json::value& v, std::string_view key);
// String member `key` of an object, or "".
std::string str(const json::value& v, std::string_view key);

// ResourceProtected when the tags carry ctx.protection_tag = "true" (case-insensitive).
Result<void> checkNotProtected(const ActionContext& ctx,
                               const std::map<std::string, std::string>& tags,
                               std::string_view resource_id);

// "[a, b]"
std::string joinList(const std::vector<std::string>& items);
json::array toJsonArray(const std::vector<std::string>& items);

// Validates an IPv4/IPv6 address or CIDR; returns the CIDR ("/32" or "/128" added to a bare
// address). InvalidInput otherwise. `ipv6` tells which family it was.
Result<std::string> normalizeCidr(std::string_view ip, bool& ipv6);

const Clock& clockOf(const ActionContext& ctx);

struct ProfileAssociation {
  std::string association_id, arn;  // both empty when no profile is associated
};
// The instance's associated IAM instance profile (DescribeIamInstanceProfileAssociations).
Result<ProfileAssociation> profileAssociation(const ActionContext& ctx, const std::string& id);
// DescribeInstanceAttribute disableApiTermination.
Result<bool> terminationProtection(const ActionContext& ctx, const std::string& id);

// Base of the built-in actions: run() calls execute() and copies the outcome's summary into
// the output object ("summary"), so later steps (notifications) can list what was done.
class BuiltinAction : public Action {
 public:
  Result<ActionOutcome> run(const json::value& input, ActionContext& ctx) const final {
    auto r = execute(input, ctx);
    if (r && r->output.is_object() && !r->output.as_object().contains("summary")) {
      r->output.as_object()["summary"] = r->summary;
    }
    return r;
  }

 protected:
  virtual Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const = 0;
};

}  // namespace riposte::actions
