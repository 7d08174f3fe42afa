// IAM actions: disable/enable access keys, revoke/restore sessions.
#include "actions/registry.h"
#include "actions/util.h"

namespace riposte::actions {
namespace {

constexpr const char* kRevokePolicyName = "riposte-revoke-sessions";

Result<json::value> iamCall(const ActionContext& ctx, std::string action, aws::Pairs params) {
  if (!ctx.aws) return fail(kNotConfigured, "no AWS client configured for this action");
  aws::Call call;
  call.service = "iam";
  call.region = ctx.region.empty() ? "us-east-1" : ctx.region;
  call.action = action;
  call.params = std::move(params);
  auto r = ctx.aws->queryJson(call);
  if (!r) return fail(r.error());
  if (r->is_object()) {
    if (auto* res = r->as_object().if_contains(action + "Result")) return *res;
  }
  return json::value(json::object());
}

// The members of an IAM list element (one <member> comes back as an object, not a list).
std::vector<json::value> members(const json::value& v, std::string_view key) {
  std::vector<json::value> out;
  if (!v.is_object()) return out;
  const json::value* m = v.as_object().if_contains(key);
  if (!m) return out;
  if (m->is_array()) return {m->as_array().begin(), m->as_array().end()};
  if (m->is_object()) out.push_back(*m);
  return out;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

// ResourceProtected if the user/role carries the protection tag.
Result<void> checkPrincipal(const ActionContext& ctx, const std::string& kind,
                            const std::string& name) {
  auto r = iamCall(ctx, kind == "user" ? "ListUserTags" : "ListRoleTags",
                   {{kind == "user" ? "UserName" : "RoleName", name}});
  if (!r) return fail(r.error());
  std::map<std::string, std::string> tags;
  for (const auto& t : members(*r, "Tags")) tags[str(t, "Key")] = str(t, "Value");
  return checkNotProtected(ctx, tags, "IAM " + kind + " " + name);
}

class SetAccessKeyStatus final : public BuiltinAction {
 public:
  explicit SetAccessKeyStatus(bool enable) : enable_(enable) {}
  // The undo has no undo of its own: a release records it like any action, and a second
  // release must not find something to "undo" in it (that would disable the key again).
  const Descriptor& descriptor() const override {
    static const Descriptor kDisable{
        .name = "aws.iam.disableAccessKey",
        .description =
            "Deactivates an IAM user's access key (Status=Inactive): the key named by the "
            "finding, or every key of the user with \"allKeys\": true. Keys already inactive "
            "are left alone; protected users are refused.",
        .role = Role::kContain,
        .permissions = {awsPermission("iam:ListUserTags"), awsPermission("iam:ListAccessKeys"),
                        awsPermission("iam:UpdateAccessKey")},
        .undo = "aws.iam.enableAccessKey",
        .undo_note = "re-activates exactly the keys it deactivated.",
        .targets = {{TargetKind::kIamUser, "userName"}},
    };
    static const Descriptor kEnable{
        .name = "aws.iam.enableAccessKey",
        .description =
            "Re-activates IAM access keys: the given key, or every key listed in "
            "the disable action's record.",
        .role = Role::kRestore,
        .permissions = {awsPermission("iam:ListAccessKeys"), awsPermission("iam:UpdateAccessKey")},
    };
    return enable_ ? kEnable : kDisable;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    auto user = requireString(input, "userName");
    if (!user) return fail(user.error());
    auto key = optionalString(input, "accessKeyId");
    if (!key) return fail(key.error());
    std::vector<std::string> wanted;
    if (!key->empty()) wanted.push_back(*key);
    for (const auto& k : arrayAt(input, "accessKeyIds")) {
      if (k.is_string()) wanted.emplace_back(k.as_string());
    }
    const json::value* all = input.as_object().if_contains("allKeys");
    const bool all_keys = all && all->is_bool() && all->as_bool();
    if (wanted.empty() && !all_keys) {
      return fail(kInvalidInput, "input needs \"accessKeyId\" (or \"allKeys\": true)");
    }
    if (!ctx.aws) return fail(kNotConfigured, "no AWS client configured for this action");
    if (!enable_) {
      if (auto p = checkPrincipal(ctx, "user", *user); !p) return fail(p.error());
    }
    auto listed = iamCall(ctx, "ListAccessKeys", {{"UserName", *user}});
    if (!listed) return fail(listed.error());
    std::map<std::string, std::string> status;
    for (const auto& k : members(*listed, "AccessKeyMetadata")) {
      status[str(k, "AccessKeyId")] = str(k, "Status");
    }
    if (all_keys) {
      for (const auto& [k, s] : status) wanted.push_back(k);
    }
    const std::string target = enable_ ? "Active" : "Inactive";
    json::object before, after;
    std::vector<std::string> changed;
    for (const auto& k : wanted) {
      auto it = status.find(k);
      if (it == status.end()) {
        return fail("NoSuchEntity",
                    "The Access Key with id " + k + " cannot be found for user " + *user);
      }
      before[k] = it->second;
      after[k] = target;
      if (it->second != target) changed.push_back(k);
    }
    ActionOutcome out;
    out.before = json::object{{"userName", *user}, {"keys", before}};
    out.after = json::object{{"userName", *user}, {"keys", after}};
    if (changed.empty() || ctx.dry_run) {
      out.changed = false;
      if (ctx.dry_run) out.after = out.before;
      out.output = json::object{
          {"userName", *user}, {"accessKeyIds", toJsonArray(wanted)}, {"changed", false}};
      if (ctx.dry_run && !changed.empty()) out.output.as_object()["dryRun"] = true;
      out.summary = changed.empty() ? "access key(s) " + joinList(wanted) + " of " + *user +
                                          " already " + target + ": nothing changed"
                                    : "dry run: would set " + joinList(changed) + " of " + *user +
                                          " to " + target;
      return out;
    }
    for (const auto& k : changed) {
      auto r = iamCall(ctx, "UpdateAccessKey",
                       {{"UserName", *user}, {"AccessKeyId", k}, {"Status", target}});
      if (!r) return fail(r.error());
    }
    auto verify = iamCall(ctx, "ListAccessKeys", {{"UserName", *user}});
    if (!verify) return fail(verify.error());
    for (const auto& k : members(*verify, "AccessKeyMetadata")) {
      const std::string id = str(k, "AccessKeyId");
      if (std::find(changed.begin(), changed.end(), id) != changed.end() &&
          str(k, "Status") != target) {
        return fail(kVerificationFailed, "access key " + id + " is still " + str(k, "Status"));
      }
    }
    out.changed = true;
    out.output = json::object{{"userName", *user},
                              {"accessKeyIds", toJsonArray(changed)},
                              {"status", target},
                              {"changed", true}};
    out.summary = std::string(enable_ ? "re-activated" : "deactivated") + " access key(s) " +
                  joinList(changed) + " of IAM user " + *user;
    return out;
  }

 private:
  bool enable_;
};

std::string alnum(std::string_view s) {
  std::string out;
  for (char c : s)
    if (std::isalnum(static_cast<unsigned char>(c))) out += c;
  return out;
}

class RevokeSessions final : public BuiltinAction {
 public:
  explicit RevokeSessions(bool restore) : restore_(restore) {}
  const Descriptor& descriptor() const override {
    static const Descriptor kRevoke{
        .name = "aws.iam.revokeSessions",
        .description =
            "Revokes the active sessions of an IAM user or role: an inline policy "
            "riposte-revoke-sessions denying every action to credentials issued before now "
            "(Condition DateLessThan aws:TokenIssueTime), as the AWS console's \"Revoke active "
            "sessions\" does. New sessions keep working. Protected users and roles are refused.",
        .role = Role::kContain,
        .permissions = {awsPermission("iam:ListUserTags"), awsPermission("iam:ListRoleTags"),
                        awsPermission("iam:GetUserPolicy"), awsPermission("iam:GetRolePolicy"),
                        awsPermission("iam:PutUserPolicy"), awsPermission("iam:PutRolePolicy")},
        .undo = "aws.iam.restoreSessions",
        .undo_note =
            "deletes the riposte-revoke-sessions policy, or puts back the one it "
            "replaced.",
        .targets = {{TargetKind::kIamUser, "userName"}, {TargetKind::kIamRole, "roleName"}},
    };
    static const Descriptor kRestore{
        .name = "aws.iam.restoreSessions",
        .description =
            "Deletes the riposte-revoke-sessions inline policy of the user or role "
            "(or puts back the policy it replaced).",
        .role = Role::kRestore,
        .permissions = {awsPermission("iam:GetUserPolicy"), awsPermission("iam:GetRolePolicy"),
                        awsPermission("iam:PutUserPolicy"), awsPermission("iam:PutRolePolicy"),
                        awsPermission("iam:DeleteUserPolicy"),
                        awsPermission("iam:DeleteRolePolicy")},
    };
    return restore_ ? kRestore : kRevoke;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    auto user = optionalString(input, "userName");
    if (!user) return fail(user.error());
    auto role = optionalString(input, "roleName");
    if (!role) return fail(role.error());
    if (user->empty() == role->empty()) {
      return fail(kInvalidInput, "input needs exactly one of \"userName\" and \"roleName\"");
    }
    if (!ctx.aws) return fail(kNotConfigured, "no AWS client configured for this action");
    const bool is_user = !user->empty();
    const std::string kind = is_user ? "user" : "role";
    const std::string who = is_user ? *user : *role;
    const std::string name_param = is_user ? "UserName" : "RoleName";
    const std::string suffix = is_user ? "UserPolicy" : "RolePolicy";
    if (!restore_) {
      if (auto p = checkPrincipal(ctx, kind, who); !p) return fail(p.error());
    }

    json::value previous = nullptr;
    auto got = iamCall(ctx, "Get" + suffix, {{name_param, who}, {"PolicyName", kRevokePolicyName}});
    if (got) {
      previous = json::value(percentDecode(str(*got, "PolicyDocument")));
    } else if (got.error().code != "NoSuchEntity") {
      return fail(got.error());
    }
    ActionOutcome out;
    out.before = json::object{
        {kind + "Name", who}, {"policyName", kRevokePolicyName}, {"policyDocument", previous}};

    if (restore_) {
      const json::value* rec = input.as_object().if_contains("before");
      json::value put_back = nullptr;
      if (rec && rec->is_object() && rec->as_object().contains("policyDocument")) {
        put_back = rec->at("policyDocument");
      }
      if (previous.is_null() && put_back.is_null()) {
        out.changed = false;
        out.after = out.before;
        out.output = json::object{{kind + "Name", who}, {"changed", false}};
        out.summary =
            "no riposte session revocation on IAM " + kind + " " + who + ": nothing changed";
        return out;
      }
      if (ctx.dry_run) {
        out.changed = false;
        out.after = out.before;
        out.output = json::object{{kind + "Name", who}, {"dryRun", true}};
        out.summary = "dry run: would lift the session revocation of IAM " + kind + " " + who;
        return out;
      }
      Result<json::value> r = put_back.is_string()
                                  ? iamCall(ctx, "Put" + suffix,
                                            {{name_param, who},
                                             {"PolicyName", kRevokePolicyName},
                                             {"PolicyDocument", std::string(put_back.as_string())}})
                                  : iamCall(ctx, "Delete" + suffix,
                                            {{name_param, who}, {"PolicyName", kRevokePolicyName}});
      if (!r && r.error().code != "NoSuchEntity") return fail(r.error());
      out.changed = true;
      out.after = json::object{
          {kind + "Name", who}, {"policyName", kRevokePolicyName}, {"policyDocument", put_back}};
      out.output = json::object{{kind + "Name", who}, {"changed", true}};
      out.summary = "lifted the session revocation of IAM " + kind + " " + who;
      return out;
    }

    const std::string sid = "RiposteRevoke" + alnum(ctx.incident_id);
    if (previous.is_string() && previous.as_string().find(sid) != json::string::npos) {
      out.changed = false;
      out.after = out.before;
      out.output =
          json::object{{kind + "Name", who}, {"policyName", kRevokePolicyName}, {"changed", false}};
      out.summary = "sessions of IAM " + kind + " " + who +
                    " were already revoked for this incident: nothing changed";
      return out;
    }
    const std::string cutoff = formatIso8601(clockOf(ctx).now(), false);
    json::object doc{
        {"Version", "2012-10-17"},
        {"Statement",
         json::array{json::object{
             {"Sid", sid},
             {"Effect", "Deny"},
             {"Action", "*"},
             {"Resource", "*"},
             {"Condition",
              json::object{{"DateLessThan", json::object{{"aws:TokenIssueTime", cutoff}}}}}}}}};
    if (ctx.dry_run) {
      out.changed = false;
      out.after = out.before;
      out.output = json::object{{kind + "Name", who}, {"dryRun", true}, {"policyDocument", doc}};
      out.summary =
          "dry run: would revoke sessions of IAM " + kind + " " + who + " issued before " + cutoff;
      return out;
    }
    auto put = iamCall(
        ctx, "Put" + suffix,
        {{name_param, who}, {"PolicyName", kRevokePolicyName}, {"PolicyDocument", toJson(doc)}});
    if (!put) return fail(put.error());
    out.changed = true;
    out.after = json::object{
        {kind + "Name", who}, {"policyName", kRevokePolicyName}, {"policyDocument", toJson(doc)}};
    out.output = json::object{{kind + "Name", who},
                              {"policyName", kRevokePolicyName},
                              {"revokedBefore", cutoff},
                              {"changed", true}};
    out.summary = "revoked sessions of IAM " + kind + " " + who + " issued before " + cutoff;
    return out;
  }

 private:
  bool restore_;
};

}  // namespace

std::shared_ptr<const Action> makeDisableAccessKey() {
  return std::make_shared<SetAccessKeyStatus>(false);
}
std::shared_ptr<const Action> makeEnableAccessKey() {
  return std::make_shared<SetAccessKeyStatus>(true);
}
std::shared_ptr<const Action> makeRevokeSessions() {
  return std::make_shared<RevokeSessions>(false);
}
std::shared_ptr<const Action> makeRestoreSessions() {
  return std::make_shared<RevokeSessions>(true);
}

}  // namespace riposte::actions
