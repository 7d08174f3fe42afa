#pragma once
#include <CLI/CLI.hpp>

namespace riposte::cli {

// `riposte breaker status | close --reason WHY [--by WHO]`: the circuit breaker of the
// blast-radius guard rails (policy/limits.h), read from and closed in the store the
// configuration names (as `release` does). Closing is audited: who, when, why.
void addBreakerCommand(CLI::App& app);

}  // namespace riposte::cli
