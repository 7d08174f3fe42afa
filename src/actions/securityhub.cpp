// Security Hub: aws.securityhub.importFindings records the automated response as an ASFF
// finding, aws.securityhub.archiveFindings (its undo) archives it again,
// aws.securityhub.updateFindings sets the workflow status of existing findings.
#include "actions/finding.h"
#include "actions/notify.h"
#include "actions/registry.h"
#include "actions/util.h"
#include "core/text.h"

namespace riposte::actions {
namespace {

// ASFF type namespace/category for GuardDuty's threat purpose (the part before ':').
std::string asffCategory(std::string_view purpose) {
  struct M {
    std::string_view purpose, category;
  };
  static constexpr M kMap[] = {
      {"Backdoor", "TTPs/Command and Control"},
      {"Behavior", "Unusual Behaviors/VM"},
      {"CredentialAccess", "TTPs/Credential Access"},
      {"CryptoCurrency", "Effects/Resource Consumption"},
      {"DefenseEvasion", "TTPs/Defense Evasion"},
      {"Discovery", "TTPs/Discovery"},
      {"Execution", "TTPs/Execution"},
      {"Exfiltration", "Effects/Data Exfiltration"},
      {"Impact", "Effects/Resource Consumption"},
      {"InitialAccess", "TTPs/Initial Access"},
      {"PenTest", "TTPs/Discovery"},
      {"Persistence", "TTPs/Persistence"},
      {"Policy", "Software and Configuration Checks/Policy"},
      {"PrivilegeEscalation", "TTPs/Privilege Escalation"},
      {"Recon", "TTPs/Discovery"},
      {"Stealth", "TTPs/Defense Evasion"},
      {"Trojan", "TTPs/Command and Control"},
      {"UnauthorizedAccess", "TTPs/Initial Access"},
  };
  for (const auto& m : kMap) {
    if (m.purpose == purpose) return std::string(m.category);
  }
  return "Unusual Behaviors/Application";
}

std::string cut(const std::string& s, std::size_t max) {
  return text::truncateUtf8(s, max, "...");
}

}  // namespace

// Builds the ASFF finding (exposed for tests through the action's dry-run output).
json::object buildAsff(const FindingSummary& f, const std::vector<std::string>& actions,
                       const std::string& incident_id, const std::string& account,
                       const std::string& region, const std::string& now) {
  const std::string partition = f.partition.empty() ? "aws" : f.partition;
  std::string type = f.type.empty() ? "Unknown" : f.type;
  std::string classifier = type;
  for (char& c : classifier)
    if (c == '/') c = '-';
  const std::string purpose = type.substr(0, type.find(':'));

  json::object resource;
  if (f.resource_type == "Instance" && !f.resource_id.empty()) {
    resource = {{"Type", "AwsEc2Instance"},
                {"Id", "arn:" + partition + ":ec2:" + region + ":" + account + ":instance/" +
                           f.resource_id}};
  } else if (f.resource_type == "AccessKey" && !f.resource_id.empty()) {
    resource = {{"Type", "AwsIamAccessKey"}, {"Id", f.resource_id}};
    if (!f.user_name.empty()) {
      resource["Details"] =
          json::object{{"AwsIamAccessKey", json::object{{"PrincipalName", f.user_name}}}};
    }
  } else if (f.resource_type == "S3Bucket" && !f.resource_id.empty()) {
    resource = {{"Type", "AwsS3Bucket"}, {"Id", "arn:" + partition + ":s3:::" + f.resource_id}};
  } else {
    resource = {{"Type", "Other"},
                {"Id", f.arn.empty() ? (f.id.empty() ? "unknown" : f.id) : f.arn}};
  }
  resource["Partition"] = partition;
  resource["Region"] = region;

  std::string actions_text;
  for (const auto& a : actions) actions_text += (actions_text.empty() ? "" : "; ") + a;
  if (actions_text.empty()) actions_text = "no containment action (notification only)";

  const std::string id = "arn:" + partition + ":securityhub:" + region + ":" + account +
                         ":riposte/incident/" + (incident_id.empty() ? f.id : incident_id);
  const int normalized = static_cast<int>(f.severity * 10 > 100 ? 100 : f.severity * 10);
  json::object asff{
      {"SchemaVersion", "2018-10-08"},
      {"Id", id},
      {"ProductArn", "arn:" + partition + ":securityhub:" + region + ":" + account + ":product/" +
                         account + "/default"},
      {"GeneratorId", cut("riposte/" + type, 512)},
      {"AwsAccountId", account},
      {"Types", json::array{asffCategory(purpose) + "/" + classifier}},
      {"CreatedAt", f.created_at.empty() ? now : f.created_at},
      {"UpdatedAt", now},
      {"Severity", json::object{{"Label", f.severity_label},
                                {"Normalized", normalized},
                                {"Original",
                                 [&] {
                                   char b[32];
                                   std::snprintf(b, sizeof b, "%g", f.severity);
                                   return std::string(b);
                                 }()}}},
      {"Title", cut("riposte response: " + (f.title.empty() ? type : f.title), 256)},
      {"Description",
       cut("riposte responded automatically to GuardDuty finding " + type + " on " +
               f.resource_label + (f.remote_ip.empty() ? "" : " from " + f.remote_ip) +
               ". Actions: " + actions_text,
           1024)},
      {"Resources", json::array{resource}},
      {"Workflow", json::object{{"Status", "NOTIFIED"}}},
      {"RecordState", "ACTIVE"},
      {"ProductFields", json::object{{"riposte/IncidentId", incident_id},
                                     {"riposte/GuardDutyFindingId", f.id},
                                     {"riposte/Actions", cut(actions_text, 2000)}}},
      {"Remediation",
       json::object{{"Recommendation",
                     json::object{{"Text", cut("Contained automatically by riposte. Review "
                                               "incident " +
                                                   incident_id + "; undo with: riposte release " +
                                                   incident_id,
                                               512)}}}}},
  };
  if (!f.arn.empty()) {
    asff["RelatedFindings"] = json::array{json::object{
        {"ProductArn", "arn:" + partition + ":securityhub:" + region + "::product/aws/guardduty"},
        {"Id", f.arn}}};
  }
  if (!f.remote_ip.empty()) {
    asff["Network"] = json::object{{"Direction", "IN"}, {"SourceIpV4", f.remote_ip}};
    if (f.remote_ip.find(':') != std::string::npos) {
      asff["Network"] = json::object{{"Direction", "IN"}, {"SourceIpV6", f.remote_ip}};
    }
  }
  return asff;
}

namespace {

class SecurityHubImport final : public BuiltinAction {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor kD{
        .name = "aws.securityhub.importFindings",
        .description =
            "Records the automated response in AWS Security Hub: BatchImportFindings with one "
            "ASFF finding per incident (Id arn:…:securityhub:<region>:<account>:riposte/"
            "incident/<id>, so a repeat updates it) naming the GuardDuty finding, the resource, "
            "the attacker and the actions taken, with every required ASFF field. A rejected "
            "finding (FailedCount > 0) fails the action.",
        .role = Role::kSiem,
        .permissions = {awsPermission("securityhub:BatchImportFindings")},
        .undo = "aws.securityhub.archiveFindings",
        .undo_note =
            "archives the finding (RecordState ARCHIVED): Security Hub keeps archived "
            "findings and cannot delete them.",
    };
    return kD;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    if (!input.is_object()) return fail(kInvalidInput, "action input must be a JSON object");
    const json::value* finding = input.as_object().if_contains("finding");
    if (!finding || !finding->is_object()) {
      return fail(kInvalidInput,
                  "input field \"finding\" (a GuardDuty finding object) is required");
    }
    auto incident = optionalString(input, "incidentId", ctx.incident_id);
    if (!incident) return fail(incident.error());
    const json::value* actions = input.as_object().if_contains("actions");
    FindingSummary f = summarizeFinding(*finding);
    const std::string account = !ctx.account.empty() ? ctx.account : f.account;
    const std::string region = !ctx.region.empty() ? ctx.region : f.region;
    if (account.empty() || region.empty()) {
      return fail(kInvalidInput, "the finding names no account/region and the context has none");
    }
    json::object asff = buildAsff(f, actionLines(actions ? *actions : json::value(nullptr)),
                                  *incident, account, region, formatIso8601(clockOf(ctx).now()));

    ActionOutcome out;
    out.before = nullptr;
    const std::string id(asff.at("Id").as_string());
    if (ctx.dry_run) {
      out.changed = false;
      out.output = json::object{{"findingId", id}, {"finding", asff}, {"dryRun", true}};
      out.summary = "dry run: would import Security Hub finding " + id;
      return out;
    }
    if (!ctx.aws) return fail(kNotConfigured, "no AWS client configured for this action");
    aws::Call call;
    call.service = "securityhub";
    call.region = region;
    call.action = "BatchImportFindings";
    call.method = "POST";
    call.path = "/findings/import";
    call.body = json::object{{"Findings", json::array{asff}}};
    auto r = ctx.aws->restJson(call);
    if (!r) return fail(r.error());
    const auto failed = numberAt(*r, "FailedCount").value_or(0);
    if (failed > 0) {
      std::string why;
      if (const json::value* ff = findPath(*r, "FailedFindings"); ff && ff->is_array()) {
        for (const auto& x : ff->as_array()) {
          why += stringAt(x, "ErrorCode").value_or("") + ": " +
                 stringAt(x, "ErrorMessage").value_or("") + " ";
        }
      }
      return fail("SecurityHubImportFailed", "BatchImportFindings rejected " + id + ": " + why);
    }
    out.changed = true;
    out.after = json::object{{"findingId", id}, {"productArn", asff.at("ProductArn")}};
    out.output = json::object{{"findingId", id},
                              {"productArn", asff.at("ProductArn")},
                              {"successCount", numberAt(*r, "SuccessCount").value_or(0)}};
    out.summary = "recorded Security Hub finding " + id;
    return out;
  }
};

class SecurityHubUpdate final : public BuiltinAction {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor kD{
        .name = "aws.securityhub.updateFindings",
        .description =
            "Sets the workflow status (NEW, NOTIFIED, RESOLVED, SUPPRESSED) and a note on "
            "existing Security Hub findings with BatchUpdateFindings (PATCH "
            "/findings/batchupdate): the finding that started the incident when it came from "
            "Security Hub. Unprocessed findings fail the action.",
        .role = Role::kSiem,
        .permissions = {awsPermission("securityhub:BatchUpdateFindings")},
        .undo_note =
            "not undone: it does not read the status it replaces, so nothing could set "
            "it back.",
    };
    return kD;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    if (!input.is_object()) return fail(kInvalidInput, "action input must be a JSON object");
    json::array ids;
    auto add = [&](const json::value& f) -> Result<void> {
      const std::string id = stringAt(f, "Id").value_or("");
      const std::string product = stringAt(f, "ProductArn").value_or("");
      if (id.empty() || product.empty()) {
        return fail(kInvalidInput, "a finding identifier needs \"Id\" and \"ProductArn\"");
      }
      ids.push_back(json::object{{"Id", id}, {"ProductArn", product}});
      return {};
    };
    if (const json::value* list = input.as_object().if_contains("findingIdentifiers")) {
      if (!list->is_array()) return fail(kInvalidInput, "findingIdentifiers must be an array");
      for (const auto& f : list->as_array()) {
        if (auto r = add(f); !r) return fail(r.error());
      }
    }
    if (const json::value* f = input.as_object().if_contains("finding"); f && f->is_object()) {
      if (auto r = add(*f); !r) return fail(r.error());
    }
    if (auto id = stringAt(input, "findingId")) {
      if (auto r = add(json::object{{"Id", *id},
                                    {"ProductArn", stringAt(input, "productArn").value_or("")}});
          !r) {
        return fail(r.error());
      }
    }
    if (ids.empty()) {
      return fail(kInvalidInput,
                  "input needs \"findingIdentifiers\", \"finding\" or \"findingId\"");
    }
    auto status = optionalString(input, "status", "NOTIFIED");
    if (!status) return fail(status.error());
    if (*status != "NEW" && *status != "NOTIFIED" && *status != "RESOLVED" &&
        *status != "SUPPRESSED") {
      return fail(kInvalidInput, "status must be NEW, NOTIFIED, RESOLVED or SUPPRESSED");
    }
    auto note = optionalString(
        input, "note", ctx.incident_id.empty() ? "" : "riposte incident " + ctx.incident_id);
    if (!note) return fail(note.error());
    json::object body{{"FindingIdentifiers", ids}, {"Workflow", json::object{{"Status", *status}}}};
    if (!note->empty()) {
      body["Note"] =
          json::object{{"Text", text::truncateUtf8(*note, 512)}, {"UpdatedBy", "riposte"}};
    }
    ActionOutcome out;
    out.before = nullptr;
    if (ctx.dry_run) {
      out.changed = false;
      out.after = nullptr;
      out.output = json::object{{"dryRun", true}, {"request", body}};
      out.summary = "dry run: would set " + std::to_string(ids.size()) +
                    " Security Hub finding(s) to " + *status;
      return out;
    }
    if (!ctx.aws) return fail(kNotConfigured, "no AWS client configured for this action");
    if (ctx.region.empty()) return fail(kInvalidInput, "no region");
    aws::Call call;
    call.service = "securityhub";
    call.region = ctx.region;
    call.action = "BatchUpdateFindings";
    call.method = "PATCH";
    call.path = "/findings/batchupdate";
    call.body = body;
    auto r = ctx.aws->restJson(call);
    if (!r) return fail(r.error());
    const json::value* un = findPath(*r, "UnprocessedFindings");
    if (un && un->is_array() && !un->as_array().empty()) {
      std::string why;
      for (const auto& u : un->as_array()) {
        why += stringAt(u, "FindingIdentifier.Id").value_or("?") + ": " +
               stringAt(u, "ErrorCode").value_or("") + " " +
               stringAt(u, "ErrorMessage").value_or("") + "; ";
      }
      return fail("SecurityHubUpdateFailed",
                  "BatchUpdateFindings left findings unprocessed: " + why);
    }
    out.changed = true;
    out.after = json::object{{"status", *status}, {"findingIdentifiers", ids}};
    out.output = json::object{{"status", *status}, {"findingIdentifiers", ids}, {"changed", true}};
    out.summary = "set " + std::to_string(ids.size()) + " Security Hub finding(s) to " + *status;
    return out;
  }
};

// The ASFF members importFindings writes: what the archive re-imports (never the fields Security
// Hub adds itself: ProductName, CompanyName, Region, WorkflowState, …).
constexpr const char* kImportedMembers[] = {
    "SchemaVersion", "Id",          "ProductArn",    "GeneratorId", "AwsAccountId",    "Types",
    "CreatedAt",     "UpdatedAt",   "Severity",      "Title",       "Description",     "Resources",
    "Workflow",      "RecordState", "ProductFields", "Remediation", "RelatedFindings", "Network"};

constexpr int kMaxFindingPages = 100;  // 100 findings a page

Result<json::value> securityHub(const ActionContext& ctx, const std::string& region,
                                const char* action, const char* method, const char* path,
                                json::object body) {
  aws::Call call;
  call.service = "securityhub";
  call.region = region;
  call.action = action;
  call.method = method;
  call.path = path;
  call.body = std::move(body);
  return ctx.aws->restJson(call);
}

// GetFindings for one finding (Id and ProductArn). Security Hub applies the filters; a server
// that ignores them (moto) returns every finding, so the match is checked here and pages are
// followed. nullopt: no such finding.
Result<std::optional<json::object>> getFinding(const ActionContext& ctx, const std::string& region,
                                               const std::string& id, const std::string& product) {
  json::object filters{
      {"Id", json::array{json::object{{"Value", id}, {"Comparison", "EQUALS"}}}},
      {"ProductArn", json::array{json::object{{"Value", product}, {"Comparison", "EQUALS"}}}}};
  json::value token = nullptr;
  for (int page = 0; page < kMaxFindingPages; ++page) {
    json::object body{{"Filters", filters}, {"MaxResults", 100}};
    if (token.is_string()) body["NextToken"] = token;
    auto r = securityHub(ctx, region, "GetFindings", "POST", "/findings", std::move(body));
    if (!r) return fail(r.error());
    for (const auto& f : arrayAt(*r, "Findings")) {
      if (f.is_object() && str(f, "Id") == id && str(f, "ProductArn") == product) {
        return std::optional<json::object>(f.as_object());
      }
    }
    const json::value* next = r->is_object() ? r->as_object().if_contains("NextToken") : nullptr;
    if (!next || !next->is_string() || next->as_string().empty()) {
      return std::optional<json::object>();
    }
    token = *next;
  }
  return fail("SecurityHubFindingNotChecked",
              "finding " + id + " is not among the first " +
                  std::to_string(kMaxFindingPages * 100) +
                  " findings GetFindings returned: cannot check its record state");
}

// "arn:aws:securityhub:us-east-1:123456789012:product/…" → "us-east-1" ("" when not an ARN).
std::string regionOfArn(const std::string& arn) {
  std::size_t p = 0;
  for (int i = 0; i < 3; ++i) {
    p = arn.find(':', p);
    if (p == std::string::npos) return "";
    ++p;
  }
  const auto end = arn.find(':', p);
  return end == std::string::npos ? "" : arn.substr(p, end - p);
}

class SecurityHubArchive final : public BuiltinAction {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor kD{
        .name = "aws.securityhub.archiveFindings",
        .description =
            "Archives the Security Hub finding importFindings recorded for an incident: reads "
            "it (GetFindings by Id and ProductArn) and, unless it is already archived, imports "
            "it again with RecordState ARCHIVED (the finding provider's way to archive its own "
            "finding; BatchImportFindings), then verifies the state with a read.",
        .role = Role::kRestore,
        .permissions = {awsPermission("securityhub:GetFindings"),
                        awsPermission("securityhub:BatchImportFindings")},
    };
    return kD;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    auto id = requireString(input, "findingId");
    if (!id) return fail(id.error());
    auto product = requireString(input, "productArn");
    if (!product) return fail(product.error());
    std::string region = regionOfArn(*product);
    if (region.empty()) region = ctx.region;
    if (region.empty()) return fail(kInvalidInput, "no region: productArn is not an ARN");
    if (!ctx.aws) return fail(kNotConfigured, "no AWS client configured for this action");

    auto found = getFinding(ctx, region, *id, *product);
    if (!found) return fail(found.error());
    ActionOutcome out;
    if (!*found) {
      out.changed = false;
      out.before = json::object{{"findingId", *id}, {"recordState", nullptr}};
      out.after = out.before;
      out.output = json::object{{"findingId", *id}, {"changed", false}};
      out.summary = "no Security Hub finding " + *id + ": nothing to archive";
      return out;
    }
    const json::object& finding = **found;
    const std::string state = str(json::value(finding), "RecordState");
    out.before = json::object{{"findingId", *id}, {"recordState", state}};
    if (state == "ARCHIVED" || ctx.dry_run) {
      out.changed = false;
      out.after = out.before;
      out.output = json::object{{"findingId", *id}, {"recordState", state}, {"changed", false}};
      if (state != "ARCHIVED") out.output.as_object()["dryRun"] = true;
      out.summary = state == "ARCHIVED"
                        ? "Security Hub finding " + *id + " is already archived: nothing changed"
                        : "dry run: would archive Security Hub finding " + *id;
      return out;
    }
    json::object again;
    for (const char* k : kImportedMembers) {
      if (const json::value* v = finding.if_contains(k)) again[k] = *v;
    }
    again["RecordState"] = "ARCHIVED";
    // Security Hub ignores an update that is not newer than the finding it has.
    std::string now = formatIso8601(clockOf(ctx).now());
    const std::string updated = str(json::value(finding), "UpdatedAt");
    again["UpdatedAt"] = now > updated ? now : updated;
    auto r = securityHub(ctx, region, "BatchImportFindings", "POST", "/findings/import",
                         json::object{{"Findings", json::array{again}}});
    if (!r) return fail(r.error());
    if (numberAt(*r, "FailedCount").value_or(0) > 0) {
      return fail("SecurityHubImportFailed",
                  "BatchImportFindings rejected the archive of " + *id + ": " + toJson(*r));
    }
    auto check = getFinding(ctx, region, *id, *product);
    if (!check) return fail(check.error());
    const std::string now_state = *check ? str(json::value(**check), "RecordState") : "";
    if (now_state != "ARCHIVED") {
      return fail(kVerificationFailed, "Security Hub finding " + *id + " is " +
                                           (now_state.empty() ? "gone" : now_state) +
                                           " after the archive, not ARCHIVED");
    }
    out.changed = true;
    out.after = json::object{{"findingId", *id}, {"recordState", "ARCHIVED"}};
    out.output = json::object{{"findingId", *id}, {"recordState", "ARCHIVED"}, {"changed", true}};
    out.summary = "archived Security Hub finding " + *id + " (was " + state + ")";
    return out;
  }
};

}  // namespace

std::shared_ptr<const Action> makeSecurityHubArchiveFindings() {
  return std::make_shared<SecurityHubArchive>();
}

std::shared_ptr<const Action> makeSecurityHubUpdateFindings() {
  return std::make_shared<SecurityHubUpdate>();
}

std::shared_ptr<const Action> makeSecurityHubImportFindings() {
  return std::make_shared<SecurityHubImport>();
}

}  // namespace riposte::actions
