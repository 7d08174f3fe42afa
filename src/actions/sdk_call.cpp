// Direct AWS API calls as Step Functions spells them:
//   arn:aws:states:::aws-sdk:<service>:<apiAction>   (ec2, iam, sns, sts: the Query services)
//   arn:aws:states:::sns:publish                      (the optimized SNS integration)
// Parameters use the SDK's names (PascalCase); results come back SDK-shaped (sdk_shapes.h:
// exact for the operations the built-in playbooks use, derived from the wire for the others);
// errors are named "<Service>.<Code>Exception" ("Ec2.InvalidInstanceIDNotFoundException").
#include "actions/sdk_call.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

#include "actions/sdk_shapes.h"
#include "actions/util.h"

namespace riposte::actions {
namespace {

std::string capitalize(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string scalar(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  if (v.is_double()) {
    char b[64];
    std::snprintf(b, sizeof b, "%g", v.as_double());
    return b;
  }
  return toJson(v);
}

// EC2's query names for list members (the locationName of the list's members).
std::string ec2ListName(const std::string& key) {
  static const std::map<std::string, std::string> kMap = {{"Resources", "ResourceId"},
                                                          {"UserIdGroupPairs", "Groups"},
                                                          {"IpPermissions", "IpPermissions"},
                                                          {"IpRanges", "IpRanges"},
                                                          {"Ipv6Ranges", "Ipv6Ranges"},
                                                          {"PrefixListIds", "PrefixListIds"},
                                                          {"Owners", "Owner"},
                                                          {"ExecutableUsers", "ExecutableBy"},
                                                          {"Addresses", "Address"}};
  if (auto it = kMap.find(key); it != kMap.end()) return it->second;
  if (key.size() > 3 && key.substr(key.size() - 3) == "ies")
    return key.substr(0, key.size() - 3) + "y";
  if (key.size() > 1 && key.back() == 's') return key.substr(0, key.size() - 1);
  return key;
}

// Request members of the Query services that are maps, not structures, with the names of
// their entries' key and value (the map's locationNames): `M.entry.N.<key>` and
// `M.entry.N.<value>…` on the wire. SNS: Publish's MessageAttributes (Name/Value), and the
// Attributes maps of CreateTopic, Subscribe and CreatePlatformEndpoint (key/value).
const std::pair<const char*, const char*>* queryMap(const std::string& service,
                                                    std::string_view member) {
  static const std::pair<const char*, const char*> kNameValue{"Name", "Value"};
  static const std::pair<const char*, const char*> kKeyValue{"key", "value"};
  if (service == "sns" && member == "MessageAttributes") return &kNameValue;
  if (service == "sns" && member == "Attributes") return &kKeyValue;
  return nullptr;
}

void flatten(const std::string& service, const std::string& prefix, const json::value& v,
             aws::Pairs& out);

void flattenMap(const std::string& service, const std::string& prefix, const json::object& m,
                const std::pair<const char*, const char*>& names, aws::Pairs& out) {
  int n = 0;
  for (const auto& kv : m) {
    std::string entry = prefix + ".entry." + std::to_string(++n) + ".";
    out.emplace_back(entry + names.first, std::string(kv.key()));
    flatten(service, entry + names.second, kv.value(), out);
  }
}

void flatten(const std::string& service, const std::string& prefix, const json::value& v,
             aws::Pairs& out) {
  if (v.is_object()) {
    auto dot = prefix.rfind('.');
    std::string_view last = dot == std::string::npos ? std::string_view(prefix)
                                                     : std::string_view(prefix).substr(dot + 1);
    if (const auto* names = queryMap(service, last); names && !prefix.empty()) {
      flattenMap(service, prefix, v.as_object(), *names, out);
      return;
    }
    for (const auto& kv : v.as_object()) {
      flatten(service,
              prefix.empty() ? std::string(kv.key()) : prefix + "." + std::string(kv.key()),
              kv.value(), out);
    }
  } else if (v.is_array()) {
    std::string base = prefix;
    if (service == "ec2") {
      auto dot = base.rfind('.');
      std::string last = dot == std::string::npos ? base : base.substr(dot + 1);
      base = (dot == std::string::npos ? "" : base.substr(0, dot + 1)) + ec2ListName(last);
    } else {
      base += ".member";
    }
    int n = 0;
    for (const auto& x : v.as_array()) flatten(service, base + "." + std::to_string(++n), x, out);
  } else if (!v.is_null()) {
    out.emplace_back(prefix, scalar(v));
  }
}

std::string serviceTitle(const std::string& service) {
  return capitalize(service);  // Ec2, Iam, Sns, Sts
}

bool isReadApi(const std::string& api) {
  return api.starts_with("Describe") || api.starts_with("List") || api.starts_with("Get");
}

// The role of a direct call, decided from its API: reads (Describe*, Get*, List*) read, SNS
// Publish notifies, and any other call changes something riposte cannot classify, so it counts
// as destructive (contain): blast-radius limits and approvals apply to it.
Role sdkRole(const std::string& service, const std::string& api) {
  if (isReadApi(api)) return Role::kRead;
  if (service == "sns" && api == "Publish") return Role::kNotify;
  return Role::kContain;
}

// After a crash during the call: a read runs again; SNS Publish runs again with the same
// MessageDeduplicationId (FIFO topics); UpdateAccessKey sets a status (a repeat is the same);
// any other call may double its effect (a second snapshot, …), so the Task fails with
// riposte.ActionInterrupted instead.
Replay sdkReplay(const std::string& service, const std::string& api) {
  if (isReadApi(api) || (service == "iam" && api == "UpdateAccessKey")) return Replay::kRerun;
  if (service == "sns" && api == "Publish") return Replay::kRerunDeduplicated;
  return Replay::kFailInterrupted;
}

class SdkCall final : public Action {
 public:
  SdkCall(std::string resource, std::string service, std::string api_action)
      : service_(std::move(service)), api_(capitalize(std::move(api_action))) {
    desc_.name = std::move(resource);
    desc_.description = "Calls the AWS API " + service_ + " " + api_ +
                        " directly, as Step Functions' aws-sdk integration does: the Task's "
                        "Parameters are the API's request members; the result is the API's "
                        "response in the SDK's shape. No idempotency check and no before/after "
                        "record of its own.";
    desc_.role = sdkRole(service_, api_);
    Permission p = awsPermission(service_ + ":" + api_);
    if (service_ == "sns" && api_ == "Publish") {
      p.resources.clear();
      p.task_topics = true;
    }
    desc_.permissions = {std::move(p)};
    desc_.undo_note = isReadApi(api_) ? "nothing to undo: a read."
                                      : "not undone by riposte: a direct AWS call records no "
                                        "state to restore; undo it by hand if it changed "
                                        "anything.";
    desc_.replay = sdkReplay(service_, api_);
    // A call that denies addresses (a network ACL deny entry): the engine checks them against
    // the trusted lists before it runs (descriptor.h blockingSdkCalls()).
    if (const Descriptor::Blocks* b = sdkBlocks(service_ + ":" + api_)) desc_.blocks = *b;
  }

  const Descriptor& descriptor() const override { return desc_; }

  Result<ActionOutcome> run(const json::value& input, ActionContext& ctx) const override {
    if (!input.is_object() && !input.is_null()) {
      return fail(kInvalidInput, "Parameters must be an object");
    }
    ActionOutcome out;
    out.before = nullptr;
    out.after = nullptr;
    if (ctx.dry_run) {
      out.changed = false;
      out.output =
          json::object{{"dryRun", true}, {"call", service_ + ":" + api_}, {"parameters", input}};
      out.summary = "dry run: would call " + service_ + ":" + api_;
      return out;
    }
    if (!ctx.aws) return fail(kNotConfigured, "no AWS client configured for this action");
    aws::Call call;
    call.service = service_;
    call.region = ctx.region.empty() ? "us-east-1" : ctx.region;
    call.action = api_;
    if (service_ == "sns" && input.is_object()) {  // SNS acts in the topic's region
      for (const char* k : {"TopicArn", "TargetArn"}) {
        if (auto arn = stringAt(input, k); arn && std::count(arn->begin(), arn->end(), ':') >= 5) {
          auto a = arn->find(':', arn->find(':', arn->find(':') + 1) + 1) + 1;
          call.region = arn->substr(a, arn->find(':', a) - a);
        }
      }
    }
    if (input.is_object()) flatten(service_, "", input, call.params);
    if (service_ == "sns" && api_ == "Publish" && !ctx.action_id.empty() && input.is_object() &&
        stringAt(input, "TopicArn").value_or("").ends_with(".fifo") &&
        !input.as_object().contains("MessageDeduplicationId")) {
      // The same id when an interrupted attempt is sent again: the FIFO topic drops the repeat.
      call.params.emplace_back("MessageDeduplicationId", ctx.action_id);
    }
    auto r = ctx.aws->queryJson(call);
    if (!r) {
      std::string code = r.error().code;
      code.erase(std::remove(code.begin(), code.end(), '.'), code.end());
      if (code.size() < 9 || code.substr(code.size() - 9) != "Exception") code += "Exception";
      return fail(serviceTitle(service_) + "." + code, r.error().message);
    }
    out.output = sdkOutput(service_, api_, *r);
    out.changed = !isReadApi(api_);
    out.summary = "called " + service_ + ":" + api_;
    return out;
  }

 private:
  Descriptor desc_;
  std::string service_, api_;
};

}  // namespace

std::shared_ptr<const Action> makeSdkCall(std::string_view resource) {
  std::string r(resource);
  for (const char* suffix : {".waitForTaskToken", ".sync:2", ".sync"}) {
    const std::string s = suffix;
    if (r.size() > s.size() && r.compare(r.size() - s.size(), s.size(), s) == 0) return nullptr;
  }
  if (r == "arn:aws:states:::sns:publish") {
    return std::make_shared<SdkCall>(r, "sns", "publish");
  }
  const std::string prefix = "arn:aws:states:::aws-sdk:";
  if (r.rfind(prefix, 0) != 0) return nullptr;
  std::string rest = r.substr(prefix.size());
  auto colon = rest.find(':');
  if (colon == std::string::npos || colon + 1 >= rest.size()) return nullptr;
  std::string service = rest.substr(0, colon), api = rest.substr(colon + 1);
  if (service != "ec2" && service != "iam" && service != "sns" && service != "sts") return nullptr;
  for (char c : api) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return nullptr;
  }
  return std::make_shared<SdkCall>(r, service, api);
}

}  // namespace riposte::actions
