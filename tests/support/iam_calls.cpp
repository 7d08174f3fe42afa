#include "support/iam_calls.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "support/aws_fixtures.h"

namespace riposte::testing {

Result<aws::HttpResponse> RecordingTransport::send(const aws::HttpRequest& req) {
  {
    std::lock_guard lock(mu_);
    requests_.push_back(req);
  }
  return inner_->send(req);
}

std::vector<aws::HttpRequest> RecordingTransport::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

void RecordingTransport::clear() {
  std::lock_guard lock(mu_);
  requests_.clear();
}

namespace {

std::string header(const aws::HttpRequest& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(k[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return v;
  }
  return "";
}

std::string percentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

using Params = std::vector<std::pair<std::string, std::string>>;

Params formDecode(std::string_view body) {
  Params out;
  std::size_t b = 0;
  while (b <= body.size()) {
    std::size_t e = body.find('&', b);
    if (e == std::string_view::npos) e = body.size();
    std::string_view kv = body.substr(b, e - b);
    if (!kv.empty()) {
      auto eq = kv.find('=');
      out.emplace_back(percentDecode(kv.substr(0, eq)),
                       eq == std::string_view::npos ? "" : percentDecode(kv.substr(eq + 1)));
    }
    b = e + 1;
  }
  return out;
}

std::string get(const Params& p, std::string_view key) {
  for (const auto& [k, v] : p)
    if (k == key) return v;
  return "";
}

// Values of "<prefix>.N" (N = 1, 2, …).
std::vector<std::string> listOf(const Params& p, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& [k, v] : p) {
    if (k.size() <= prefix.size() + 1 || k.compare(0, prefix.size() + 1, prefix + ".") != 0)
      continue;
    const std::string rest = k.substr(prefix.size() + 1);
    if (!rest.empty() && std::all_of(rest.begin(), rest.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        }))
      out.push_back(v);
  }
  return out;
}

struct Ctx {
  std::string service, region, account;
  const IamLookup& lookup;
};

std::string ec2Arn(const Ctx& c, const std::string& type, const std::string& id) {
  if (type == "snapshot") return "arn:aws:ec2:" + c.region + "::snapshot/" + id;
  return "arn:aws:ec2:" + c.region + ":" + c.account + ":" + type + "/" + id;
}

// The resource type of an EC2 id, from its prefix.
std::string ec2TypeOf(const std::string& id) {
  static const std::pair<const char*, const char*> kPrefixes[] = {{"i-", "instance"},
                                                                  {"sgr-", "security-group-rule"},
                                                                  {"sg-", "security-group"},
                                                                  {"acl-", "network-acl"},
                                                                  {"snap-", "snapshot"},
                                                                  {"vol-", "volume"},
                                                                  {"eni-", "network-interface"},
                                                                  {"vpc-", "vpc"},
                                                                  {"subnet-", "subnet"}};
  for (const auto& [p, t] : kPrefixes)
    if (id.rfind(p, 0) == 0) return t;
  return "unknown";
}

IamRequest req(const std::string& action, const std::string& resource,
               std::map<std::string, std::string> context = {}) {
  return IamRequest{action, resource, std::move(context)};
}

std::map<std::string, std::string> principalContext(const Ctx& c, const std::string& kind,
                                                    const std::string& name) {
  std::map<std::string, std::string> ctx;
  if (c.lookup.principal_tags) {
    for (const auto& [k, v] : c.lookup.principal_tags(kind, name)) ctx["aws:ResourceTag/" + k] = v;
  }
  return ctx;
}

// A Create… call's TagSpecification also needs ec2:CreateTags on the new resource.
void tagOnCreate(const Ctx& c, const Params& p, const std::string& api,
                 std::vector<IamRequest>& out) {
  if (get(p, "TagSpecification.1.ResourceType").empty()) return;
  out.push_back(req("ec2:CreateTags", ec2Arn(c, get(p, "TagSpecification.1.ResourceType"), "*"),
                    {{"ec2:CreateAction", api}}));
}

Result<std::vector<IamRequest>> ec2Checks(const Ctx& c, const std::string& op, const Params& p) {
  const std::string a = "ec2:" + op;
  std::vector<IamRequest> out;
  // Describe* support no resource-level permissions: IAM checks "*".
  if (op.rfind("Describe", 0) == 0) return std::vector<IamRequest>{req(a, "*")};
  if (op == "CreateSecurityGroup") {
    out.push_back(req(a, ec2Arn(c, "security-group", "*")));
    out.push_back(req(a, ec2Arn(c, "vpc", get(p, "VpcId"))));
    tagOnCreate(c, p, op, out);
  } else if (op == "AuthorizeSecurityGroupIngress" || op == "AuthorizeSecurityGroupEgress" ||
             op == "RevokeSecurityGroupIngress" || op == "RevokeSecurityGroupEgress") {
    out.push_back(req(a, ec2Arn(c, "security-group", get(p, "GroupId"))));
    for (const auto& r : listOf(p, "SecurityGroupRuleId"))
      out.push_back(req(a, ec2Arn(c, "security-group-rule", r)));
  } else if (op == "ModifyNetworkInterfaceAttribute") {
    out.push_back(req(a, ec2Arn(c, "network-interface", get(p, "NetworkInterfaceId"))));
    for (const auto& g : listOf(p, "SecurityGroupId"))
      out.push_back(req(a, ec2Arn(c, "security-group", g)));
  } else if (op == "ModifyInstanceAttribute") {
    out.push_back(req(a, ec2Arn(c, "instance", get(p, "InstanceId"))));
    for (const auto& g : listOf(p, "GroupId"))
      out.push_back(req(a, ec2Arn(c, "security-group", g)));
  } else if (op == "AssociateIamInstanceProfile") {
    out.push_back(req(a, ec2Arn(c, "instance", get(p, "InstanceId"))));
    const std::string profile = get(p, "IamInstanceProfile.Arn");
    const std::string role = c.lookup.role_of_profile
                                 ? c.lookup.role_of_profile(profile)
                                 : "arn:aws:iam::" + c.account + ":role/unknown";
    out.push_back(req("iam:PassRole", role, {{"iam:PassedToService", "ec2.amazonaws.com"}}));
  } else if (op == "DisassociateIamInstanceProfile") {
    // The request names the association only; AWS authorizes against its instance.
    out.push_back(req(a, ec2Arn(c, "instance", "i-of-the-association")));
  } else if (op == "StopInstances" || op == "StartInstances") {
    for (const auto& i : listOf(p, "InstanceId")) out.push_back(req(a, ec2Arn(c, "instance", i)));
  } else if (op == "CreateNetworkAclEntry" || op == "DeleteNetworkAclEntry") {
    out.push_back(req(a, ec2Arn(c, "network-acl", get(p, "NetworkAclId"))));
  } else if (op == "CreateTags" || op == "DeleteTags") {
    for (const auto& id : listOf(p, "ResourceId"))
      out.push_back(req(a, ec2Arn(c, ec2TypeOf(id), id)));
  } else if (op == "CreateSnapshot") {
    out.push_back(req(a, ec2Arn(c, "snapshot", "*")));
    out.push_back(req(a, ec2Arn(c, "volume", get(p, "VolumeId"))));
    tagOnCreate(c, p, op, out);
  } else {
    return fail("NoModel", "no authorization model for ec2:" + op);
  }
  return out;
}

Result<std::vector<IamRequest>> iamChecks(const Ctx& c, const std::string& op, const Params& p) {
  const std::string a = "iam:" + op;
  static const char* kUser[] = {"ListAccessKeys",  "UpdateAccessKey",   "ListUserTags",
                                "GetUserPolicy",   "PutUserPolicy",     "DeleteUserPolicy",
                                "GetLoginProfile", "DeleteLoginProfile"};
  static const char* kRole[] = {"ListRoleTags", "GetRolePolicy", "PutRolePolicy",
                                "DeleteRolePolicy"};
  for (const char* u : kUser) {
    if (op == u) {
      const std::string name = get(p, "UserName");
      return std::vector<IamRequest>{
          req(a, "arn:aws:iam::" + c.account + ":user/" + name, principalContext(c, "user", name))};
    }
  }
  for (const char* r : kRole) {
    if (op == r) {
      const std::string name = get(p, "RoleName");
      return std::vector<IamRequest>{
          req(a, "arn:aws:iam::" + c.account + ":role/" + name, principalContext(c, "role", name))};
    }
  }
  return fail("NoModel", "no authorization model for iam:" + op);
}

Result<std::vector<IamRequest>> wafChecks(const Ctx& c, const std::string& op,
                                          const json::value& body) {
  const std::string a = "wafv2:" + op;
  if (op == "ListIPSets") return std::vector<IamRequest>{req(a, "*")};
  if (op == "GetIPSet" || op == "UpdateIPSet") {
    const std::string scope = stringAt(body, "Scope").value_or("REGIONAL");
    return std::vector<IamRequest>{req(a, "arn:aws:wafv2:" + c.region + ":" + c.account + ":" +
                                              (scope == "CLOUDFRONT" ? "global" : "regional") +
                                              "/ipset/" + stringAt(body, "Name").value_or("") +
                                              "/" + stringAt(body, "Id").value_or(""))};
  }
  return fail("NoModel", "no authorization model for wafv2:" + op);
}

}  // namespace

Result<AuthorizedCall> authorizationOf(const aws::HttpRequest& r, const std::string& account,
                                       const IamLookup& lookup) {
  // Credential=AKID/<date>/<region>/<service>/aws4_request
  const std::string auth = header(r, "Authorization");
  auto cred = auth.find("Credential=");
  if (cred == std::string::npos) return fail("NoModel", "an unsigned request: " + r.url);
  std::vector<std::string> scope;
  std::size_t b = cred + 11;
  for (int i = 0; i < 5; ++i) {
    std::size_t e = auth.find_first_of("/,", b);
    scope.push_back(auth.substr(b, e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  if (scope.size() < 4) return fail("NoModel", "cannot read the credential scope: " + auth);
  Ctx c{scope[3], scope[2], account, lookup};
  AuthorizedCall out;
  const std::string target = header(r, "X-Amz-Target");
  const std::string path =
      r.url.substr(std::min(r.url.find('/', r.url.find("//") + 2), r.url.size()));
  Result<std::vector<IamRequest>> checks = fail("NoModel", "");
  if (!target.empty()) {  // JSON 1.0/1.1
    const std::string op = target.substr(target.find('.') + 1);
    auto body = parseJson(r.body.empty() ? "{}" : r.body);
    if (!body) return fail(body.error());
    out.api = c.service + ":" + op;
    if (c.service == "wafv2")
      checks = wafChecks(c, op, *body);
    else
      checks = fail("NoModel", "no authorization model for " + out.api);
  } else if (c.service == "securityhub") {  // REST-JSON
    auto body = parseJson(r.body.empty() ? "{}" : r.body);
    if (!body) return fail(body.error());
    const std::string hub = "arn:aws:securityhub:" + c.region + ":" + account + ":hub/default";
    if (r.method == "POST" && path == "/findings/import") {
      out.api = "securityhub:BatchImportFindings";
      std::vector<IamRequest> v;
      if (const json::value* fs = findPath(*body, "Findings"); fs && fs->is_array()) {
        for (const auto& f : fs->get_array())
          v.push_back(req(out.api, stringAt(f, "ProductArn").value_or("")));
      }
      checks = v;
    } else if (r.method == "POST" && path == "/findings") {
      out.api = "securityhub:GetFindings";
      checks = std::vector<IamRequest>{req(out.api, hub)};
    } else if (r.method == "PATCH" && path == "/findings/batchupdate") {
      out.api = "securityhub:BatchUpdateFindings";
      checks = std::vector<IamRequest>{req(out.api, hub)};
    } else {
      return fail("NoModel", "no authorization model for securityhub " + r.method + " " + path);
    }
  } else {  // Query
    const Params p = formDecode(r.body);
    const std::string op = get(p, "Action");
    out.api = c.service + ":" + op;
    if (c.service == "ec2") {
      checks = ec2Checks(c, op, p);
    } else if (c.service == "iam") {
      checks = iamChecks(c, op, p);
    } else if (c.service == "sns" && op == "Publish") {
      checks = std::vector<IamRequest>{req(out.api, get(p, "TopicArn"))};
    } else if (c.service == "sts" && op == "GetCallerIdentity") {
      checks = std::vector<IamRequest>{req(out.api, "*")};
    } else {
      return fail("NoModel", "no authorization model for " + out.api);
    }
  }
  if (!checks) return fail(checks.error());
  out.checks = std::move(*checks);
  return out;
}

IamLookup motoIamLookup(AwsFixtures& fx, const std::string& account) {
  IamLookup l;
  l.principal_tags = [&fx](const std::string& kind, const std::string& name) {
    std::map<std::string, std::string> tags;
    const bool user = kind == "user";
    auto r = fx.query("iam", user ? "ListUserTags" : "ListRoleTags",
                      {{user ? "UserName" : "RoleName", name}});
    const json::value* list =
        findPath(r, user ? "ListUserTagsResult.Tags" : "ListRoleTagsResult.Tags");
    // One <member> comes back as an object, several as a list.
    const json::value* members =
        list && list->is_object() ? list->as_object().if_contains("member") : list;
    auto add = [&](const json::value& m) {
      tags[stringAt(m, "Key").value_or("")] = stringAt(m, "Value").value_or("");
    };
    if (members && members->is_array())
      for (const auto& m : members->as_array()) add(m);
    if (members && members->is_object() && members->as_object().contains("Key")) add(*members);
    return tags;
  };
  l.role_of_profile = [&fx, account](const std::string& arn) {
    const std::string name = arn.substr(arn.rfind('/') + 1);
    auto r = fx.query("iam", "GetInstanceProfile", {{"InstanceProfileName", name}});
    auto role = stringAt(r, "GetInstanceProfileResult.InstanceProfile.Roles.member.Arn");
    return role.value_or("arn:aws:iam::" + account + ":role/unknown");
  };
  return l;
}

std::set<std::string> expectEveryCallAllowed(const std::vector<aws::HttpRequest>& requests,
                                             const json::value& policy, const std::string& account,
                                             const IamLookup& lookup) {
  std::set<std::string> apis;
  for (const auto& r : requests) {
    auto call = authorizationOf(r, account, lookup);
    if (!call) {
      ADD_FAILURE() << call.error().message;
      continue;
    }
    apis.insert(call->api);
    EXPECT_FALSE(call->checks.empty()) << call->api;
    for (const auto& c : call->checks) {
      const IamDecision d = evaluateIam(policy, c);
      EXPECT_EQ(std::string(iamDecisionName(d)), "allowed")
          << call->api << " needs " << c.action << " on " << c.resource << ", which the policy "
          << "does not allow:\n"
          << toPrettyJson(policy);
    }
  }
  return apis;
}

}  // namespace riposte::testing
