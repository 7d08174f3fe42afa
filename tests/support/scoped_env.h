#pragma once
// Test helpers for code that reads the environment and files: ScopedEnv sets or unsets
// variables and puts the old values back when it goes out of scope; TempDir is a directory
// removed with everything in it at the end of the test.
//
//   TempDir dir;
//   ScopedEnv env({{"HOME", dir.path()}, {"AWS_PROFILE", std::nullopt}});
//   dir.write(".aws/config", "[default]\nregion = eu-west-1\n");

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace riposte::testing {

class ScopedEnv {
 public:
  using Var = std::pair<std::string, std::optional<std::string>>;  // nullopt: unset
  explicit ScopedEnv(std::initializer_list<Var> vars = {}) {
    for (const auto& [k, v] : vars) set(k, v);
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) apply(it->first, it->second);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

  // Sets (or with nullopt unsets) `name` until the end of this object's scope.
  void set(const std::string& name, const std::optional<std::string>& value) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    apply(name, value);
  }

 private:
  static void apply(const std::string& name, const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
  std::vector<Var> saved_;
};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "riposte-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to `relative` (parent directories created); returns the full path.
  std::string write(const std::string& relative, const std::string& content,
                    std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                   std::filesystem::perms::owner_write) const {
    const std::filesystem::path p = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    std::filesystem::permissions(p, perms);
    return p.string();
  }

 private:
  std::string path_;
};

}  // namespace riposte::testing
