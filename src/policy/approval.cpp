#include "policy/approval.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace riposte::policy {

namespace {

Error bad(const std::string& what) {
  return Error{"InvalidInput", "riposte:approval: " + what};
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

std::optional<int64_t> wholeNumber(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(v.get_uint64());
  if (v.is_double() && std::floor(v.get_double()) == v.get_double() &&
      std::fabs(v.get_double()) < 9e15)
    return static_cast<int64_t>(v.get_double());
  return std::nullopt;
}

void decide(ApprovalState& st, const char* status, std::string by, std::string reason, int64_t at) {
  st.status = status;
  st.decided_by = std::move(by);
  st.reason = std::move(reason);
  st.decided_ms = at;
}

}  // namespace

Result<ApprovalSpec> parseApprovalRequest(const json::value& parameters,
                                          const ApprovalSettings& settings,
                                          std::optional<double> state_timeout_s) {
  const json::object* o = parameters.if_object();
  if (!o) return fail(bad("Parameters must be an object"));
  static const std::set<std::string, std::less<>> kKeys = {
      "groups", "quorum", "timeout_seconds", "on_timeout", "summary", "plan"};
  for (const auto& [k, v] : *o) {
    (void)v;
    if (!kKeys.count(k))
      return fail(bad("unknown parameter '" + std::string(k) +
                      "' (known: groups, quorum, timeout_seconds, on_timeout, summary, plan)"));
  }
  ApprovalSpec spec;
  if (const json::value* p = o->if_contains("plan")) spec.plan = *p;
  const json::value* g = o->if_contains("groups");
  if (!g || !g->is_array() || g->get_array().empty())
    return fail(bad("'groups' is required: a non-empty list of approver groups"));
  std::set<std::string> approvers;
  for (std::size_t i = 0; i < g->get_array().size(); ++i) {
    const json::value& e = g->get_array()[i];
    const std::string at = "groups[" + std::to_string(i) + "]";
    if (!e.is_string()) return fail(bad(at + " must be a string"));
    std::string name(e.get_string());
    auto it = settings.groups.find(name);
    if (it == settings.groups.end())
      return fail(bad(at + ": no approver group '" + name + "' in riposte.yaml approvals.groups"));
    if (std::find(spec.groups.begin(), spec.groups.end(), name) != spec.groups.end())
      return fail(bad(at + ": group '" + name + "' named twice"));
    spec.groups.push_back(name);
    approvers.insert(it->second.begin(), it->second.end());
  }
  spec.approvers.assign(approvers.begin(), approvers.end());
  if (spec.approvers.empty()) return fail(bad("the groups have no approvers"));
  if (const json::value* q = o->if_contains("quorum")) {
    auto n = wholeNumber(*q);
    if (!n || *n < 1 || *n > static_cast<int64_t>(spec.approvers.size()))
      return fail(bad("'quorum' must be a whole number from 1 to " +
                      std::to_string(spec.approvers.size()) + " (the approvers of the groups)"));
    spec.quorum = static_cast<int>(*n);
  }
  spec.timeout_ms = settings.default_timeout_ms;
  if (const json::value* t = o->if_contains("timeout_seconds")) {
    auto n = wholeNumber(*t);
    if (!n || *n < 1 || *n > 31'536'000)
      return fail(bad("'timeout_seconds' must be a whole number of seconds, 1 to 31536000"));
    spec.timeout_ms = *n * 1000;
  }
  if (state_timeout_s && static_cast<double>(spec.timeout_ms) >= *state_timeout_s * 1000.0)
    return fail(bad("the approval's deadline (" + std::to_string(spec.timeout_ms / 1000) +
                    " s) must come before the state's TimeoutSeconds, else on_timeout never "
                    "applies"));
  if (const json::value* t = o->if_contains("on_timeout")) {
    if (!t->is_string() || (t->get_string() != "deny" && t->get_string() != "approve"))
      return fail(bad("'on_timeout' must be \"deny\" or \"approve\""));
    spec.on_timeout = t->get_string() == "approve" ? OnTimeout::kApprove : OnTimeout::kDeny;
  }
  if (const json::value* s = o->if_contains("summary")) {
    if (!s->is_string()) return fail(bad("'summary' must be a string"));
    spec.summary = std::string(s->get_string());
  }
  return spec;
}

bool expire(ApprovalState& st, int64_t now_ms) {
  if (st.status != "pending" || now_ms < st.deadline_ms) return false;
  const bool approve = st.spec.on_timeout == OnTimeout::kApprove;
  decide(
      st, approve ? "approved" : "denied", "timeout",
      std::string("no decision before the deadline: on_timeout ") + (approve ? "approve" : "deny"),
      st.deadline_ms);
  return true;
}

Result<bool> castVote(ApprovalState& st, const std::string& approver, const std::string& decision,
                      const std::string& reason, int64_t now_ms, const std::string& via) {
  if (decision != "approve" && decision != "deny")
    return fail(kInvalidDecision,
                "decision must be \"approve\" or \"deny\", not '" + decision + "'");
  expire(st, now_ms);
  if (st.status != "pending")
    return fail(kApprovalDecided,
                "the approval is already " + st.status + " (" + st.decided_by + ")");
  if (!std::binary_search(st.spec.approvers.begin(), st.spec.approvers.end(), approver))
    return fail(
        kNotAnApprover, "'" + approver + "' is in none of the approver groups (" + [&] {
          std::string g;
          for (const auto& n : st.spec.groups) g += (g.empty() ? "" : ", ") + n;
          return g;
        }() + ")");
  for (const auto& v : st.votes)
    if (v.approver == approver)
      return fail(kAlreadyVoted, "'" + approver + "' already voted " + v.decision);
  if (decision == "deny" && blank(reason)) return fail(kReasonRequired, "a deny needs a reason");
  st.votes.push_back(Vote{approver, decision, reason, now_ms, via});
  if (decision == "deny") {
    decide(st, "denied", approver, reason, now_ms);
    return true;
  }
  if (static_cast<int>(approvedBy(st).size()) >= st.spec.quorum) {
    decide(st, "approved", "quorum", "", now_ms);
    return true;
  }
  return false;
}

std::vector<std::string> approvedBy(const ApprovalState& st) {
  std::vector<std::string> out;
  for (const auto& v : st.votes)
    if (v.decision == "approve") out.push_back(v.approver);
  return out;
}

json::object approvalJson(const ApprovalState& st) {
  json::object o;
  json::array groups, approvers, votes;
  for (const auto& g : st.spec.groups) groups.emplace_back(g);
  for (const auto& a : st.spec.approvers) approvers.emplace_back(a);
  for (const auto& v : st.votes)
    votes.push_back(json::object{{"approver", v.approver},
                                 {"decision", v.decision},
                                 {"reason", v.reason},
                                 {"atMs", v.at_ms},
                                 {"via", v.via}});
  o["groups"] = std::move(groups);
  o["approvers"] = std::move(approvers);
  o["quorum"] = st.spec.quorum;
  o["timeoutMs"] = st.spec.timeout_ms;
  o["onTimeout"] = st.spec.on_timeout == OnTimeout::kApprove ? "approve" : "deny";
  o["summary"] = st.spec.summary;
  if (!st.spec.plan.is_null()) o["plan"] = st.spec.plan;
  o["createdMs"] = st.created_ms;
  o["deadlineMs"] = st.deadline_ms;
  o["status"] = st.status;
  o["votes"] = std::move(votes);
  o["decidedBy"] = st.decided_by;
  o["reason"] = st.reason;
  o["decidedMs"] = st.decided_ms;
  return o;
}

Result<ApprovalState> approvalFromJson(const json::value& v) {
  try {
    const json::object& o = v.as_object();
    ApprovalState st;
    for (const auto& g : o.at("groups").as_array()) st.spec.groups.emplace_back(g.as_string());
    for (const auto& a : o.at("approvers").as_array())
      st.spec.approvers.emplace_back(a.as_string());
    st.spec.quorum = static_cast<int>(o.at("quorum").to_number<int64_t>());
    st.spec.timeout_ms = o.at("timeoutMs").to_number<int64_t>();
    st.spec.on_timeout =
        o.at("onTimeout").as_string() == "approve" ? OnTimeout::kApprove : OnTimeout::kDeny;
    st.spec.summary = std::string(o.at("summary").as_string());
    if (const json::value* p = o.if_contains("plan")) st.spec.plan = *p;
    st.created_ms = o.at("createdMs").to_number<int64_t>();
    st.deadline_ms = o.at("deadlineMs").to_number<int64_t>();
    st.status = std::string(o.at("status").as_string());
    for (const auto& e : o.at("votes").as_array()) {
      const auto& vo = e.as_object();
      // "via" is absent from the votes stored before links existed.
      const json::value* via = vo.if_contains("via");
      st.votes.push_back(Vote{
          std::string(vo.at("approver").as_string()), std::string(vo.at("decision").as_string()),
          std::string(vo.at("reason").as_string()), vo.at("atMs").to_number<int64_t>(),
          via ? std::string(via->as_string()) : std::string()});
    }
    st.decided_by = std::string(o.at("decidedBy").as_string());
    st.reason = std::string(o.at("reason").as_string());
    st.decided_ms = o.at("decidedMs").to_number<int64_t>();
    return st;
  } catch (const std::exception& e) {
    return fail("InvalidApproval", std::string("a stored approval cannot be read: ") + e.what());
  }
}

}  // namespace riposte::policy
