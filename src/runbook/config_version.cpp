#include "runbook/config_version.h"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "core/digest.h"
#include "runbook/text.h"

namespace riposte::runbook {
namespace fs = std::filesystem;

Result<std::string> configVersion(const engine::Config& cfg) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return fail("Internal", "cannot allocate a SHA-256 context");
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  auto feed = [&](const std::string& s) {
    std::string len = std::to_string(s.size()) + ":";
    EVP_DigestUpdate(ctx, len.data(), len.size());
    EVP_DigestUpdate(ctx, s.data(), s.size());
  };
  std::error_code ec;
  if (!cfg.dir.empty() && fs::is_directory(cfg.dir, ec)) {
    fs::path root(cfg.dir);
    std::vector<std::string> files;
    if (fs::is_regular_file(root / "riposte.yaml", ec)) files.push_back("riposte.yaml");
    for (const char* sub : {"rules", "playbooks", "policies"}) {
      if (!fs::is_directory(root / sub, ec)) continue;
      for (const auto& e : fs::recursive_directory_iterator(root / sub, ec)) {
        if (!e.is_regular_file()) continue;
        std::string ext = e.path().extension().string();
        if (ext != ".yaml" && ext != ".yml" && ext != ".json") continue;
        files.push_back(fs::relative(e.path(), root, ec).generic_string());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto text = readTextFile(root / f);
      if (!text) {
        EVP_MD_CTX_free(ctx);
        return fail("NotFound", "cannot read " + (root / f).string());
      }
      feed(f);
      feed(*text);
    }
  } else {
    feed(toJson(json::value(cfg.settings)));
    for (const auto& r : cfg.rules) {
      feed(r.name);
      feed(r.description);
      feed(r.pattern_json);
      feed(r.playbook);
      feed(r.enabled ? "1" : "0");
    }
    for (const auto& [name, pb] : cfg.playbooks) {
      feed(name);
      feed(pb.definition_json);
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  return "sha256:" + hexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

}  // namespace riposte::runbook
