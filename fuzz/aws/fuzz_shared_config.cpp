// Fuzzes the shared config / credentials file parser (the input is an operator's file, read at
// start) and the credential_process command splitter. The input is parsed as a config file
// and as a credentials file; whatever parses must be consistent: every setting names the
// file it came from and a line of it, profile names are the map's keys, and splitting a
// credential_process either fails or yields at least one word.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "aws/credential_sources.h"
#include "aws/shared_config.h"

namespace {

void check(const riposte::aws::SharedConfig& cfg, std::string_view text) {
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  for (const auto* map : {&cfg.profiles, &cfg.sso_sessions}) {
    for (const auto& [name, section] : *map) {
      if (name != section.name || name.empty()) std::abort();
      for (const auto& [key, s] : section.settings) {
        if (key.empty() || s.line < 1 || static_cast<size_t>(s.line) > lines) std::abort();
        if (s.file != "config" && s.file != "credentials") std::abort();
        if (key == "credential_process") {
          auto words = riposte::aws::splitCommandLine(s.value);
          if (words && words->empty()) std::abort();
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace riposte::aws;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  SharedConfig as_config;
  if (parseSharedFile(text, "config", SharedFileKind::kConfig, as_config)) check(as_config, text);
  SharedConfig as_credentials;
  if (parseSharedFile(text, "credentials", SharedFileKind::kCredentials, as_credentials)) {
    check(as_credentials, text);
  }
  return 0;
}
