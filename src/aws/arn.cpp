#include "aws/arn.h"

#include <vector>

namespace riposte::aws {

std::optional<SnsTopicArn> parseSnsTopicArn(std::string_view arn) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t at; (at = arn.find(':', start)) != std::string_view::npos; start = at + 1)
    parts.push_back(arn.substr(start, at - start));
  parts.push_back(arn.substr(start));
  if (parts.size() != 6 || parts[0] != "arn" || parts[1].empty() || parts[2] != "sns" ||
      parts[3].empty() || parts[5].empty())
    return std::nullopt;
  SnsTopicArn t{std::string(parts[1]), std::string(parts[3]), std::string(parts[4]),
                std::string(parts[5]), false};
  t.fifo = t.name.size() > 5 && t.name.ends_with(".fifo");
  return t;
}

}  // namespace riposte::aws
