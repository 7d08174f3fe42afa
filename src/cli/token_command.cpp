#include "cli/token_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "server/auth.h"

namespace riposte::cli {

namespace {

// Appends the entry under `tokens:` of a credentials file, creating it (0600) if needed.
void appendToFile(const std::string& path, const std::string& entry) {
  std::string text;
  if (std::ifstream in(path, std::ios::binary); in) {
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (text.empty()) {
    text =
        "# riposte API credentials (serve --credentials): only SHA-256 digests of tokens.\n"
        "tokens:\n";
  } else if (text.find("\ntokens:\n") == std::string::npos && !text.starts_with("tokens:\n")) {
    throw CLI::RuntimeError(
        path + " has no 'tokens:' list to add to; add this entry by hand:\n  " + entry, 1);
  }
  if (!text.ends_with("\n")) text += "\n";
  const auto at =
      text.starts_with("tokens:\n") ? std::string::size_type(8) : text.find("\ntokens:\n") + 9;
  text.insert(at, "  " + entry + "\n");
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw CLI::RuntimeError("cannot write " + tmp, 1);
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    throw CLI::RuntimeError("cannot write " + path, 1);
}

}  // namespace

void addTokenCommand(CLI::App& app) {
  auto* token = app.add_subcommand("token", "API tokens");
  token->require_subcommand(1);
  auto* create = token->add_subcommand("create", "Make a new API token and print its entry");
  static std::string subject, file;
  static std::vector<std::string> scopes;
  create->add_option("--subject", subject, "Who holds it (audit actor, approver name)")->required();
  create->add_option("--scope", scopes, "ingest, read, respond or admin (repeatable)")->required();
  create->add_option("--file", file, "Append the entry to this credentials file (0600)");
  create->callback([] {
    std::vector<server::Scope> want;
    for (const auto& s : scopes) {
      auto sc = server::scopeFromName(s);
      if (!sc)
        throw CLI::RuntimeError("unknown scope '" + s + "' (ingest, read, respond, admin)", 2);
      want.push_back(*sc);
    }
    auto t = server::newToken(subject, want);
    if (!t) throw CLI::RuntimeError(t.error().message, 2);
    if (!file.empty()) appendToFile(file, t->yaml);
    std::cout << "token: " << t->token << "\n"
              << "It is shown once: riposte keeps only its SHA-256. Send it as\n"
              << "  Authorization: Bearer " << t->token << "\n";
    if (file.empty()) {
      std::cout << "Add this entry under api.tokens in riposte.yaml (or under tokens: in a "
                   "`serve --credentials` file):\n  "
                << t->yaml << "\n";
    } else {
      std::cout << "Added to " << file << ": " << t->yaml << "\n";
    }
  });
}

}  // namespace riposte::cli
