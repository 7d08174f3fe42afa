#pragma once
// The version of a configuration the runbook names: a hash of its files.

#include <string>

#include "core/result.h"
#include "engine/config.h"

namespace riposte::runbook {

// "sha256:<hex>": a hash of the configuration's files (riposte.yaml, rules/, playbooks/,
// policies/: every .yaml/.yml/.json file, by relative path and content, in path order). When
// cfg.dir is empty or not a directory, a hash of the loaded configuration's canonical JSON.
Result<std::string> configVersion(const engine::Config& cfg);

}  // namespace riposte::runbook
