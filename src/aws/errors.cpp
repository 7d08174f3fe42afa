#include "aws/errors.h"

#include <algorithm>
#include <array>
#include <pugixml.hpp>

#include "core/json.h"

namespace riposte::aws {
namespace {

std::string_view trimLeft(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t' ||
          s.front() == '\xEF' || s.front() == '\xBB' || s.front() == '\xBF')) {
    s.remove_prefix(1);
  }
  return s;
}

std::string snippet(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) out += (c == '\n' || c == '\r') ? ' ' : c;
  return out;
}

// Finds the first element named `name` anywhere below `n` (namespace prefixes ignored).
pugi::xml_node findElement(pugi::xml_node n, std::string_view name) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view cn = c.name();
    if (auto colon = cn.find(':'); colon != std::string_view::npos) cn = cn.substr(colon + 1);
    if (cn == name) return c;
    if (pugi::xml_node f = findElement(c, name)) return f;
  }
  return {};
}

std::string jsonString(const json::object& o, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (auto* v = o.if_contains(k); v && v->is_string()) return std::string(v->as_string());
  }
  return {};
}

}  // namespace

Error parseAwsError(const HttpResponse& resp) {
  std::string code, message;
  std::string_view body = trimLeft(resp.body);

  if (!body.empty() && body.front() == '<') {
    pugi::xml_document doc;
    if (doc.load_buffer(body.data(), body.size())) {
      pugi::xml_node err = findElement(doc, "Error");
      pugi::xml_node scope = err ? err : doc.document_element();
      if (pugi::xml_node c = findElement(scope, "Code")) code = c.text().get();
      if (pugi::xml_node m = findElement(scope, "Message")) message = m.text().get();
      if (message.empty()) {
        if (pugi::xml_node m = findElement(scope, "message")) message = m.text().get();
      }
    }
  } else if (!body.empty() && body.front() == '{') {
    auto parsed = parseJson(body, 64);
    if (parsed && parsed->is_object()) {
      const json::object& o = parsed->as_object();
      code = jsonString(o, {"__type", "code", "Code"});
      message = jsonString(o, {"message", "Message", "errorMessage"});
    }
  }
  if (auto h = resp.header("x-amzn-errortype"); h && !h->empty()) {
    code = h->substr(0, h->find(':'));
  }
  if (auto hash = code.rfind('#'); hash != std::string::npos) code = code.substr(hash + 1);
  if (auto colon = code.find(':'); colon != std::string::npos) code = code.substr(0, colon);

  if (code.empty()) {
    code = resp.status >= 500 ? "InternalFailure" : "HttpError" + std::to_string(resp.status);
    message = "HTTP " + std::to_string(resp.status) +
              (resp.body.empty() ? std::string(" with an empty body") : ": " + snippet(resp.body));
  } else if (message.empty()) {
    message = "HTTP " + std::to_string(resp.status);
  }
  return Error{code, message};
}

bool isThrottlingCode(std::string_view code) {
  static constexpr std::array<std::string_view, 15> kCodes = {
      "Throttling",
      "ThrottlingException",
      "ThrottledException",
      "RequestThrottledException",
      "TooManyRequestsException",
      "ProvisionedThroughputExceededException",
      "TransactionInProgressException",
      "RequestLimitExceeded",
      "BandwidthLimitExceeded",
      "LimitExceededException",
      "RequestThrottled",
      "SlowDown",
      "PriorRequestNotComplete",
      "EC2ThrottledException",
      "ThrottlingError"};
  return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

bool isRetryableError(const Error& e, long http_status) {
  if (e.code == "TransportError") return true;
  if (isThrottlingCode(e.code)) return true;
  if (e.code == "RequestTimeout" || e.code == "RequestTimeoutException" ||
      e.code == "InternalError" || e.code == "InternalFailure" || e.code == "ServiceUnavailable" ||
      e.code == "IDPCommunicationError") {
    return true;
  }
  return http_status == 429 || http_status == 500 || http_status == 502 || http_status == 503 ||
         http_status == 504;
}

}  // namespace riposte::aws
