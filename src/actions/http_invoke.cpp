// arn:aws:states:::http:invoke (also riposte:http.invoke): Step Functions' HTTP Task. One HTTP
// request to an http(s) API, authenticated by a configured connection (connection.h), the
// response as Step Functions returns it ({Headers, ResponseBody, StatusCode, StatusText}).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

#include "actions/connection.h"
#include "actions/registry.h"
#include "actions/util.h"
#include "core/text.h"

namespace riposte::actions {

namespace {

constexpr int kMaxAttempts = 3;
constexpr std::size_t kMaxResponseBytes = 256 * 1024;  // Step Functions' payload limit

std::string scalarText(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_null()) return "";
  return toJson(v);
}

// "OK", "Not Found", … (RFC 9110 reason phrases; "" for others).
std::string statusText(long code) {
  switch (code) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

// Checks an ApiEndpoint: http:// or https://, a host, no user:password@ (credentials come from
// the connection), no whitespace or control characters.
Result<void> checkEndpoint(const std::string& url) {
  std::string scheme;
  if (url.starts_with("https://"))
    scheme = "https";
  else if (url.starts_with("http://"))
    scheme = "http";
  else
    return fail(kInvalidInput, "ApiEndpoint must be an http:// or https:// URL");
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f)
      return fail(kInvalidInput, "ApiEndpoint holds whitespace or a control character");
  }
  const std::size_t start = scheme.size() + 3;
  const std::size_t end = url.find_first_of("/?#", start);
  const std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  if (authority.empty()) return fail(kInvalidInput, "ApiEndpoint has no host");
  if (authority.find('@') != std::string::npos)
    return fail(kInvalidInput,
                "ApiEndpoint may not carry user information (user@host): credentials come from "
                "the connection");
  return {};
}

// application/x-www-form-urlencoded of an object (Transform URL_ENCODED and QueryParameters),
// arrays per ArrayFormat: INDICES a[0]=x&a[1]=y, REPEAT a=x&a=y, COMMAS a=x,y, BRACKETS a[]=x.
Result<std::string> formOf(const json::object& o, const std::string& array_format) {
  std::string out;
  auto add = [&](const std::string& k, const std::string& v) {
    if (!out.empty()) out += '&';
    out += formEncode(k) + "=" + formEncode(v);
  };
  for (const auto& kv : o) {
    const std::string key(kv.key());
    const json::value& v = kv.value();
    if (v.is_object())
      return fail(kInvalidInput, "\"" + key + "\": a nested object cannot be URL-encoded");
    if (!v.is_array()) {
      add(key, scalarText(v));
      continue;
    }
    const auto& a = v.as_array();
    if (array_format == "COMMAS") {
      std::string joined;
      for (std::size_t i = 0; i < a.size(); ++i) joined += (i ? "," : "") + scalarText(a[i]);
      add(key, joined);
      continue;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].is_object() || a[i].is_array())
        return fail(kInvalidInput, "\"" + key + "\": nested values cannot be URL-encoded");
      if (array_format == "REPEAT")
        add(key, scalarText(a[i]));
      else if (array_format == "BRACKETS")
        add(key + "[]", scalarText(a[i]));
      else
        add(key + "[" + std::to_string(i) + "]", scalarText(a[i]));
    }
  }
  return out;
}

class HttpInvoke final : public Action {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor kD{
        .name = "http.invoke",
        .description =
            "Step Functions' HTTP Task (Resource arn:aws:states:::http:invoke): one request to "
            "an http(s) API (ApiEndpoint, Method, Headers, QueryParameters, RequestBody, "
            "Transform.RequestBodyEncoding NONE or URL_ENCODED), authenticated by the connection "
            "Authentication.ConnectionArn names (riposte.yaml connections: an API key header, "
            "basic auth or OAuth client credentials, secrets from the environment). The result "
            "is {Headers, ResponseBody, StatusCode, StatusText}; a status outside 2xx fails with "
            "States.Http.StatusCode.<code>, a request that cannot be sent with "
            "States.Http.Socket. 5xx, 429 and transport errors are tried up to 3 times with "
            "backoff (Retry-After honoured up to 5 s). Every request carries Idempotency-Key: "
            "the action record's id, the same when an interrupted attempt is sent again. In a "
            "dry run nothing is sent.",
        .role = Role::kNotify,
        .permissions = {},
        .undo_note = "nothing to undo: a request that was sent cannot be recalled.",
        .replay = Replay::kRerunDeduplicated,
    };
    return kD;
  }

  // Not a BuiltinAction: the result is exactly Step Functions' (no "summary" member).
  Result<ActionOutcome> run(const json::value& input, ActionContext& ctx) const override {
    if (!input.is_object()) return fail(kInvalidInput, "Parameters must be an object");
    const json::object& in = input.as_object();
    auto endpoint = requireString(input, "ApiEndpoint");
    if (!endpoint) return fail(endpoint.error());
    auto method = requireString(input, "Method");
    if (!method) return fail(method.error());
    static const std::vector<std::string> kMethods = {"GET",   "POST",    "PUT", "DELETE",
                                                      "PATCH", "OPTIONS", "HEAD"};
    if (std::find(kMethods.begin(), kMethods.end(), *method) == kMethods.end())
      return fail(kInvalidInput,
                  "Method must be one of GET, POST, PUT, DELETE, PATCH, OPTIONS, "
                  "HEAD");
    if (auto ok = checkEndpoint(*endpoint); !ok) return fail(ok.error());
    const json::value* auth = in.if_contains("Authentication");
    const json::value* arn =
        auth && auth->is_object() ? auth->as_object().if_contains("ConnectionArn") : nullptr;
    if (arn == nullptr || !arn->is_string())
      return fail(kInvalidInput,
                  "Authentication.ConnectionArn (a connection of riposte.yaml "
                  "connections:) is required");
    const std::string arn_text(arn->as_string());
    if (!connectionName(arn_text))
      return fail(kInvalidInput, "Authentication.ConnectionArn \"" + arn_text +
                                     "\" is neither arn:aws:events:REGION:ACCOUNT:connection/NAME "
                                     "nor riposte:connection/NAME");
    const Connection* conn = ctx.connections ? ctx.connections->resolve(arn_text) : nullptr;
    if (conn == nullptr)
      return fail(kNotConfigured, "no connection \"" + *connectionName(arn_text) +
                                      "\" in riposte.yaml connections:");

    aws::HttpRequest req;
    req.method = *method;
    req.url = *endpoint;
    // Transform: how the body and arrays are encoded.
    std::string encoding = "NONE", array_format = "INDICES";
    if (const json::value* t = in.if_contains("Transform")) {
      if (!t->is_object()) return fail(kInvalidInput, "Transform must be an object");
      if (auto e = stringAt(*t, "RequestBodyEncoding")) encoding = *e;
      if (auto f = stringAt(*t, "RequestEncodingOptions.ArrayFormat")) array_format = *f;
      if (encoding != "NONE" && encoding != "URL_ENCODED")
        return fail(kInvalidInput, "Transform.RequestBodyEncoding must be NONE or URL_ENCODED");
      if (array_format != "INDICES" && array_format != "REPEAT" && array_format != "COMMAS" &&
          array_format != "BRACKETS")
        return fail(kInvalidInput,
                    "Transform.RequestEncodingOptions.ArrayFormat must be "
                    "INDICES, REPEAT, COMMAS or BRACKETS");
    }
    if (const json::value* q = in.if_contains("QueryParameters")) {
      if (!q->is_object()) return fail(kInvalidInput, "QueryParameters must be an object");
      auto qs = formOf(q->as_object(), array_format);
      if (!qs) return fail(kInvalidInput, "QueryParameters." + qs.error().message);
      if (!qs->empty()) {
        const auto hash = req.url.find('#');
        if (hash != std::string::npos) req.url.erase(hash);
        req.url += (req.url.find('?') == std::string::npos ? "?" : "&") + *qs;
      }
    }
    bool content_type = false;
    if (const json::value* h = in.if_contains("Headers")) {
      if (!h->is_object()) return fail(kInvalidInput, "Headers must be an object");
      for (const auto& kv : h->as_object()) {
        const std::string name(kv.key());
        const std::string l = text::asciiLower(name);
        if (l == "host" || l == "content-length" || l == "transfer-encoding" || l == "connection" ||
            l == "authorization" || l == "idempotency-key")
          return fail(kInvalidInput, "Headers may not set " + name +
                                         " (riposte sets it; credentials come from the "
                                         "connection)");
        const std::string v = scalarText(kv.value());
        for (unsigned char c : name + v) {
          if (c == '\r' || c == '\n' || c == 0)
            return fail(kInvalidInput, "header " + name + " holds a line break");
        }
        if (l == "content-type") content_type = true;
        req.headers.emplace_back(name, v);
      }
    }
    if (const json::value* b = in.if_contains("RequestBody"); b && !b->is_null()) {
      if (encoding == "URL_ENCODED") {
        if (!b->is_object())
          return fail(kInvalidInput, "RequestBody must be an object to be URL_ENCODED");
        auto form = formOf(b->as_object(), array_format);
        if (!form) return fail(kInvalidInput, "RequestBody." + form.error().message);
        req.body = *form;
        if (!content_type)
          req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      } else if (b->is_string()) {
        req.body = std::string(b->as_string());
        if (!content_type) req.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
      } else {
        req.body = toJson(*b);
        if (!content_type) req.headers.emplace_back("Content-Type", "application/json");
      }
    }
    if (!ctx.action_id.empty()) req.headers.emplace_back("Idempotency-Key", ctx.action_id);

    ActionOutcome out;
    out.before = nullptr;
    if (ctx.dry_run) {
      out.changed = false;
      out.output = json::object{{"dryRun", true},
                                {"Method", req.method},
                                {"ApiEndpoint", req.url},
                                {"Connection", conn->name}};
      out.after = nullptr;
      out.summary =
          "dry run: would send " + req.method + " " + req.url + " (connection " + conn->name + ")";
      return out;
    }
    if (ctx.http == nullptr) return fail(kNotConfigured, "no HTTP transport for http:invoke");
    const Clock& clock = clockOf(ctx);

    json::array attempts;
    Result<aws::HttpResponse> resp = fail("States.Http.Socket", "not sent");
    bool refreshed = false;
    for (int attempt = 1;; ++attempt) {
      aws::HttpRequest sent = req;
      if (auto a = ctx.connections->authorize(*conn, sent, *ctx.http, clock); !a) {
        return fail(a.error());
      }
      resp = ctx.http->send(sent);
      if (resp) {
        attempts.push_back(json::object{{"statusCode", resp->status}});
      } else {
        attempts.push_back(json::object{{"error", resp.error().message}});
      }
      // An OAuth token the API no longer accepts: fetch a new one, once.
      if (resp && resp->status == 401 && conn->auth == Connection::Auth::kOAuthClientCredentials &&
          !refreshed) {
        refreshed = true;
        ctx.connections->forgetToken(conn->name);
        continue;
      }
      const bool retryable = !resp || resp->status >= 500 || resp->status == 429;
      if (!retryable || attempt >= kMaxAttempts) break;
      std::chrono::milliseconds delay(500 << (attempt - 1));  // 0.5 s, 1 s
      if (resp) {
        if (auto ra = resp->header("retry-after")) {
          int secs = 0;
          bool digits = !ra->empty();
          for (char c : *ra) digits = digits && std::isdigit(static_cast<unsigned char>(c));
          if (digits && ra->size() < 4) secs = std::stoi(*ra);
          if (digits) delay = std::chrono::milliseconds(std::min(secs, 5) * 1000);
        }
      }
      std::this_thread::sleep_for(delay);
    }
    const std::string where = req.method + " " + req.url;
    out.after = json::object{{"attempts", attempts}};
    if (!resp) {
      return fail("States.Http.Socket", where + ": " + resp.error().message + " (" +
                                            std::to_string(attempts.size()) + " attempt(s))");
    }
    if (resp->body.size() > kMaxResponseBytes) {
      return fail("States.DataLimitExceeded", where + ": the response body (" +
                                                  std::to_string(resp->body.size()) +
                                                  " bytes) exceeds 256 KiB");
    }
    json::object headers;
    for (const auto& [k, v] : resp->headers) {
      json::value& slot = headers[k];
      if (!slot.is_array()) slot = json::array();
      slot.as_array().push_back(json::value(v));
    }
    json::value body = json::value(resp->body);
    const std::string type = text::asciiLower(resp->header("content-type").value_or(""));
    if (type.find("json") != std::string::npos) {
      if (auto parsed = parseJson(resp->body, 512)) body = std::move(*parsed);
    }
    json::object result{{"Headers", std::move(headers)},
                        {"ResponseBody", std::move(body)},
                        {"StatusCode", resp->status},
                        {"StatusText", statusText(resp->status)}};
    if (resp->status < 200 || resp->status > 299) {
      std::string cause = toJson(result);
      if (cause.size() > 32 * 1024) cause = cause.substr(0, 32 * 1024);
      return fail("States.Http.StatusCode." + std::to_string(resp->status), cause);
    }
    out.changed = req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS";
    out.output = std::move(result);
    out.summary =
        "sent " + where + " (connection " + conn->name + "): HTTP " + std::to_string(resp->status) +
        (attempts.size() > 1 ? " after " + std::to_string(attempts.size()) + " attempts" : "");
    return out;
  }
};

}  // namespace

std::shared_ptr<const Action> makeHttpInvoke() {
  return std::make_shared<HttpInvoke>();
}

}  // namespace riposte::actions
