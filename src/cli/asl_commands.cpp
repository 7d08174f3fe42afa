#include "cli/asl_commands.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "actions/registry.h"
#include "asl/asl.h"
#include "aws/client.h"
#include "aws/credential_chain.h"
#include "config/document.h"
#include "core/ids.h"
#include "engine/action_runner.h"
#include "engine/config.h"

namespace riposte::cli {

namespace {

// A command-line argument that is either inline JSON or a file name.
Result<json::value> jsonArg(const std::string& arg, const std::string& what) {
  std::string text = arg;
  bool is_file = false;
  std::error_code ec;
  if (!arg.empty() && arg[0] != '{' && arg[0] != '[' && std::filesystem::exists(arg, ec)) {
    std::ifstream in(arg, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
    is_file = true;
  }
  bool yaml = is_file && (arg.ends_with(".yaml") || arg.ends_with(".yml"));
  auto v =
      yaml ? config::readValue(text, arg, /*yaml=*/true, /*expand=*/false) : parseJson(text, 512);
  if (!v) return fail("InvalidInput", what + " " + arg + ": " + v.error().message);
  return v;
}

}  // namespace

void addAslCommands(CLI::App& app) {
  auto* cmd = app.add_subcommand("execute", "Run one playbook execution locally");
  static std::string playbook, input = "{}";
  static bool history = false, dry_run = false;
  cmd->add_option("--playbook", playbook, "Playbook file (.asl.json or .asl.yaml)")->required();
  cmd->add_option("--input", input, "Execution input: a JSON file or inline JSON")
      ->capture_default_str();
  cmd->add_flag("--history", history, "Also print the execution history");
  cmd->add_flag("--dry-run", dry_run, "Actions plan and record, but change nothing");
  cmd->callback([] {
    static const actions::Registry registry = actions::Registry::builtins();
    auto def = jsonArg(playbook, "playbook");
    if (!def) throw CLI::RuntimeError(def.error().message, 2);
    auto in = jsonArg(input, "input");
    if (!in) throw CLI::RuntimeError(in.error().message, 2);
    auto machine = asl::StateMachine::load(
        *def, [](std::string_view r) { return registry.find(r) != nullptr; });
    if (!machine) throw CLI::RuntimeError(playbook + ": " + machine.error().message, 2);
    std::shared_ptr<aws::Client> aws;
    if (auto creds = aws::resolveCredentialsChain()) aws = std::make_shared<aws::Client>(*creds);
    engine::ActionRunnerContext ctx;
    ctx.registry = &registry;
    ctx.aws = aws.get();
    ctx.clock = &SystemClock::instance();
    ctx.execution_id = newId("exec");
    ctx.incident_id = "local";
    if (in->is_object()) {
      json::value v = *in;
      ctx.account = stringAt(v, "detail.accountId").value_or(stringAt(v, "account").value_or(""));
      ctx.region = stringAt(v, "detail.region").value_or(stringAt(v, "region").value_or(""));
    }
    if (ctx.region.empty()) {
      const char* r = std::getenv("AWS_DEFAULT_REGION");
      ctx.region = r ? r : "us-east-1";
    }
    ctx.dry_run = dry_run;
    engine::ActionRunner runner(ctx);
    asl::ExecutionInfo info;
    info.execution_id = ctx.execution_id;
    info.execution_name = ctx.execution_id;
    info.state_machine_name = std::filesystem::path(playbook).stem().string();
    auto outcome = asl::runToCompletion(*machine, *in, runner, SystemClock::instance(), info);
    json::object o;
    o["status"] = asl::statusName(outcome.status);
    if (outcome.status == asl::Status::Succeeded) {
      o["output"] = outcome.output;
    } else {
      o["error"] = outcome.error;
      o["cause"] = outcome.cause;
    }
    if (history) {
      json::array events;
      for (const auto& e : outcome.history) {
        json::object ev;
        ev["id"] = e.id;
        ev["previousEventId"] = e.previous_id;
        ev["timestamp"] = formatIso8601Millis(e.timestamp_ms);
        ev["type"] = e.type;
        ev["details"] = e.details;
        events.push_back(std::move(ev));
      }
      o["history"] = std::move(events);
    }
    std::cout << toPrettyJson(o) << "\n";
    if (outcome.status != asl::Status::Succeeded) throw CLI::RuntimeError(1);
  });
}

}  // namespace riposte::cli
