#include "aws/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "core/text.h"

namespace riposte::aws {
namespace {

struct Sink {
  HttpResponse* resp;
  std::size_t max_bytes;
  bool overflow = false;
};

size_t onBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* s = static_cast<Sink*>(userdata);
  const size_t n = size * nmemb;
  if (s->resp->body.size() + n > s->max_bytes) {
    s->overflow = true;
    return 0;
  }
  s->resp->body.append(ptr, n);
  return n;
}

size_t onHeader(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* s = static_cast<Sink*>(userdata);
  const size_t n = size * nitems;
  std::string_view line(buffer, n);
  if (line.rfind("HTTP/", 0) == 0) {
    s->resp->headers.clear();  // a new response (after 100-continue or a redirect)
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name = text::asciiLower(line.substr(0, colon));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  s->resp->headers.emplace_back(std::move(name), std::string(value));
  return n;
}

struct EasyHandle {
  CURL* h = nullptr;
  EasyHandle() : h(curl_easy_init()) {}
  ~EasyHandle() {
    if (h) curl_easy_cleanup(h);
  }
};

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlOptions opts) : opts_(opts) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  Result<HttpResponse> send(const HttpRequest& req) override {
    thread_local EasyHandle handle;  // connection reuse per thread
    CURL* h = handle.h;
    if (!h) return fail("TransportError", "curl_easy_init failed");
    curl_easy_reset(h);

    HttpResponse resp;
    Sink sink{&resp, opts_.max_response_bytes};
    curl_slist* hdrs = nullptr;
    for (const auto& [k, v] : req.headers) hdrs = curl_slist_append(hdrs, (k + ": " + v).c_str());
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (req.body.empty() && req.method == "POST") {
      hdrs = curl_slist_append(hdrs, "Content-Length: 0");
    }

    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    if (!req.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, req.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (req.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (!req.body.empty()) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(opts_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(opts_.total_timeout.count()));
    curl_easy_setopt(h, CURLOPT_USERAGENT, "riposte/" RIPOSTE_VERSION);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    if (!opts_.use_proxy) curl_easy_setopt(h, CURLOPT_NOPROXY, "*");

    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    if (sink.overflow) {
      return fail("TransportError", "response from " + req.url + " exceeds " +
                                        std::to_string(opts_.max_response_bytes) + " bytes");
    }
    if (rc != CURLE_OK) {
      return fail("TransportError",
                  std::string(curl_easy_strerror(rc)) + " (" + req.method + " " + req.url + ")");
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
    return resp;
  }

 private:
  CurlOptions opts_;
};

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  std::string ln = text::asciiLower(name);
  for (const auto& [k, v] : headers) {
    if (text::asciiLower(k) == ln) return v;
  }
  return std::nullopt;
}

std::shared_ptr<HttpTransport> makeCurlTransport(CurlOptions opts) {
  return std::make_shared<CurlTransport>(opts);
}

}  // namespace riposte::aws
