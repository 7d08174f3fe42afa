#pragma once
// A problem found in a section of `policies/*.yaml` by that section's parser (common contract
// of the configuration's section parsers): where, as the dotted path inside the file
// ("suppressions[2].expires"), and what is wrong. The configuration loader locates the path in
// the file and prints file:line:column.

#include <string>
#include <vector>

namespace riposte::policy {

struct Problem {
  std::string path;
  std::string message;
  friend bool operator==(const Problem&, const Problem&) = default;
};

using Problems = std::vector<Problem>;

}  // namespace riposte::policy
