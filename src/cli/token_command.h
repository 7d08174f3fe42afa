#pragma once
#include <CLI/CLI.hpp>

namespace riposte::cli {

// `riposte token create --subject S --scope read [--scope …] [--file F]`: a new API token
// (server/auth.h: 256 random bits), printed once, and the configuration entry that holds its
// SHA-256 (api.tokens in riposte.yaml, or a `serve --credentials` file: --file appends the
// entry to it, created 0600).
void addTokenCommand(CLI::App& app);

}  // namespace riposte::cli
