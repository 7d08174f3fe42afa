#include "aws/credentials.h"

#include <cctype>
#include <cstdlib>

namespace riposte::aws {
namespace {

std::string envOrEmpty(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? std::string(v) : std::string();
}

// The AWS service id (as used in AWS_ENDPOINT_URL_<ID>) for a signing name.
std::string serviceEnvId(std::string_view service) {
  if (service == "events") return "EVENTBRIDGE";
  std::string id;
  for (char c : service) {
    if (c == ' ' || c == '-') {
      id += '_';
    } else {
      id += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return id;
}

std::string trimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

Result<Credentials> credentialsFromEnvironment() {
  Credentials c{envOrEmpty("AWS_ACCESS_KEY_ID"), envOrEmpty("AWS_SECRET_ACCESS_KEY"),
                envOrEmpty("AWS_SESSION_TOKEN")};
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return fail("MissingCredentials",
                "AWS credentials not found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(and AWS_SESSION_TOKEN for temporary credentials)");
  }
  return c;
}

std::string resolveEndpoint(std::string_view service, std::string_view region) {
  if (std::string v = envOrEmpty("AWS_ENDPOINT_URL_" + serviceEnvId(service)); !v.empty()) {
    return trimSlash(v);
  }
  if (std::string v = envOrEmpty("AWS_ENDPOINT_URL"); !v.empty()) return trimSlash(v);
  if (service == "iam") return "https://iam.amazonaws.com";
  return "https://" + std::string(service) + "." + std::string(region) + ".amazonaws.com";
}

std::string signingRegion(std::string_view service, std::string_view region) {
  if (service == "iam") return "us-east-1";
  return std::string(region);
}

}  // namespace riposte::aws
