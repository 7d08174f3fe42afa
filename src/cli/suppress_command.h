#pragma once
#include <CLI/CLI.hpp>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace riposte::cli {

// `riposte suppress`: suppressions made at run time, in the store the configuration names (the
// store `riposte serve` runs on, as `breaker` and `release` use it; every worker sharing it
// applies a new one from its next event on, and a deleted one stops applying). The same
// records and audit entries as POST/DELETE /v1/suppressions (engine/suppressions.h).
//
//   riposte suppress --type T [--type T2…] | --pattern P  [--resource ID]… [--account A]…
//                    [--region R]… [--tag K=V]…  --for 7d | --until TIME | --no-expiry
//                    --reason WHY [--owner O] [--name N] [--by WHO]
//   riposte suppress list [--json]
//   riposte suppress delete NAME --reason WHY [--by WHO]
// each with [--config DIR] [--store URL]. A type ending in '*' is a prefix
// ("Recon:EC2/*"). An expiry is required: --no-expiry says on purpose that it has none.
// Exit 0; 1 when the store refuses (a name taken, not found, a suppression of the
// configuration); 2 for invalid arguments or configuration.
void addSuppressCommand(CLI::App& app);

// ----- The logic behind the command (callable from tests) -----

struct SuppressArgs {
  std::vector<std::string> types;
  std::string pattern;
  std::vector<std::string> resources, accounts, regions, tags;  // tags: "key=value"
  std::string for_duration, until;
  bool no_expiry = false;
  std::string reason, owner, name, by;
};

// The POST /v1/suppressions body the arguments describe. Error "InvalidArgument" naming the
// flag (no --type or --pattern, both, a tag without '=', no expiry, a name that cannot be
// derived).
Result<json::object> suppressionBody(const SuppressArgs& args);

// "Recon:EC2/PortProbeUnprotectedPort" → "recon-ec2-portprobeunprotectedport"; "Recon:EC2/*"
// → "recon-ec2-all" (a suppression name: [a-z0-9._-], at most 56 bytes).
std::string nameForType(const std::string& type);

}  // namespace riposte::cli
