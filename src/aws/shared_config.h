#pragma once
// The shared AWS `config` and `credentials` files (INI), read as the AWS SDKs and CLI read them
// (AWS SDKs and Tools Reference Guide, "Shared config and credentials files"):
//  * config file (AWS_CONFIG_FILE, default ~/.aws/config): sections [default],
//    [profile NAME] and [sso-session NAME]; [profile default] wins over [default]; other
//    sections ([services x], [x] without the prefix) are not profiles and are skipped;
//  * credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials): sections [NAME]
//    without a prefix ([profile x] there is not a profile and is skipped);
//  * a setting of the same profile in both files: the credentials file wins;
//  * `key = value` (keys compared lowercase); `#` or `;` start a comment at the beginning of a
//    line, or after whitespace inside a line; an indented line continues the value above it,
//    or is a sub-setting when that value is empty (`s3 =` ↵ `  max_concurrent_requests = 2`);
//  * a section or key repeated: the later value wins.
// Anything else (a setting outside a section, a line that is neither) is an error naming the
// file and line.

#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace riposte::aws {

struct ProfileSetting {
  std::string value;
  std::string file;  // where it was read (for messages)
  int line = 0;
};

// One [profile x] / [x] / [sso-session x]: its settings by lowercase key.
struct ConfigSection {
  std::string name;
  std::map<std::string, ProfileSetting> settings;
  // The setting's value, or nullptr when it is absent.
  const ProfileSetting* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
};

struct SharedConfig {
  std::string config_file, credentials_file;  // the paths read (a missing file reads as empty)
  std::map<std::string, ConfigSection> profiles;
  std::map<std::string, ConfigSection> sso_sessions;

  const ConfigSection* profile(std::string_view name) const;
  const ConfigSection* ssoSession(std::string_view name) const;
};

enum class SharedFileKind { kConfig, kCredentials };

// Parses one file's text into `into` (later files override earlier ones setting by setting).
// `path` is only for messages. Error "InvalidSharedConfig" with path:line.
Result<void> parseSharedFile(std::string_view text, const std::string& path, SharedFileKind kind,
                             SharedConfig& into);

// The paths the SDKs read: AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE (a leading ~/ is the
// home directory), else ~/.aws/config and ~/.aws/credentials (HOME). "" when HOME is unset too.
std::string sharedConfigPath();
std::string sharedCredentialsPath();

// Reads both files. A default-located file that does not exist reads as empty; a file named
// by AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE that does not exist, a file that cannot be
// read, or one that does not parse, is an error ("InvalidSharedConfig").
Result<SharedConfig> loadSharedConfig();

// The home directory (HOME), "" when unset.
std::string homeDirectory();

}  // namespace riposte::aws
