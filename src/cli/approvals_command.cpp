#include "cli/approvals_command.h"

#include <cstdlib>
#include <iostream>

#include "cli/serve_runtime.h"
#include "core/clock.h"
#include "engine/approvals.h"
#include "store/store.h"

namespace riposte::cli {

namespace {

struct Args {
  std::string config = "config/default", store, status, id, reason, by;
  bool json = false;
};

void run(const Args& a, const std::string& decision) {
  LoadResult loaded = loadChecked(a.config);
  for (const auto& p : loaded.problems) std::cerr << p << "\n";
  if (!loaded.config)
    throw CLI::RuntimeError("invalid configuration in '" + a.config +
                                "' (pass --config DIR: the directory riposte serve runs with)",
                            2);
  auto cfg = std::make_shared<const engine::Config>(std::move(*loaded.config));
  auto st = store::openStore(a.store.empty() ? cfg->store_url : a.store);
  if (!st) throw CLI::RuntimeError("cannot open store: " + st.error().str(), 1);
  std::shared_ptr<store::Store> store = std::move(*st);
  const Clock& clock = SystemClock::instance();
  engine::ApprovalGate gate(
      *store, clock, [cfg] { return cfg; },
      [&](store::TaskCallbackRecord cb) -> Result<void> {
        cb.received_ms = clock.nowMillis();
        auto r = store->acceptTaskCallback(cb);
        if (!r) return fail(r.error());
        return {};
      });
  if (decision.empty()) {
    auto r = gate.list(a.status);
    if (!r) throw CLI::RuntimeError(r.error().str(), r.error().code == "InvalidInput" ? 2 : 1);
    if (a.json) {
      std::cout << toPrettyJson(*r) << "\n";
      return;
    }
    const auto& list = r->at("approvals").as_array();
    if (list.empty()) std::cout << "No approval request.\n";
    for (const auto& v : list) {
      const auto& o = v.as_object();
      std::cout << o.at("approvalId").as_string() << "  " << o.at("status").as_string()
                << "  incident " << o.at("incidentId").as_string() << "  state "
                << o.at("state").as_string() << "  quorum " << o.at("quorum").as_int64()
                << "  approved by " << o.at("approvedBy").as_array().size() << "  deadline "
                << o.at("deadline").as_string();
      if (!o.at("summary").as_string().empty()) std::cout << "  — " << o.at("summary").as_string();
      std::cout << "\n";
    }
    return;
  }
  std::string by = a.by;
  if (by.empty()) {
    const char* user = std::getenv("USER");
    if (!user || !*user) throw CLI::RuntimeError("who decides: pass --by NAME", 2);
    by = user;
  }
  auto r = gate.decide(a.id, decision, a.reason, by);
  if (!r) throw CLI::RuntimeError(r.error().str(), 1);
  std::cout << "approval " << a.id << ": " << by << " voted " << decision << "; it is now "
            << r->at("status").as_string() << "\n";
}

}  // namespace

void addApprovalsCommand(CLI::App& app) {
  static Args args;
  auto* cmd = app.add_subcommand("approvals",
                                 "Approval requests of riposte:approval Tasks (in the store "
                                 "riposte serve runs on; audited): list, approve ID, deny ID");
  cmd->require_subcommand(1);
  auto where = [](CLI::App* c) {
    c->add_option("--config", args.config, "Configuration directory (its store, its groups)")
        ->capture_default_str();
    c->add_option("--store", args.store, "Store URL (overrides riposte.yaml)");
  };
  auto* list = cmd->add_subcommand("list", "Every request, oldest first");
  where(list);
  list->add_option("--status", args.status, "pending or decided");
  list->add_flag("--json", args.json, "Print JSON (as GET /v1/approvals)");
  list->callback([] { run(args, ""); });
  auto* approve = cmd->add_subcommand("approve", "Approve a request (counts once per approver)");
  where(approve);
  approve->add_option("id", args.id, "The request's id (apr-…)")->required();
  approve->add_option("--by", args.by, "Who approves (default: $USER)");
  approve->callback([] { run(args, "approve"); });
  auto* deny = cmd->add_subcommand("deny", "Deny a request (one deny decides)");
  where(deny);
  deny->add_option("id", args.id, "The request's id (apr-…)")->required();
  deny->add_option("--reason", args.reason, "Why (required, recorded)")->required();
  deny->add_option("--by", args.by, "Who denies (default: $USER)");
  deny->callback([] { run(args, "deny"); });
}

}  // namespace riposte::cli
