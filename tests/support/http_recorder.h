#pragma once
// A local HTTP receiver for tests: records every request and answers with a scripted response.
// Stands in for AWS APIs moto lacks (Security Hub BatchUpdateFindings) and for webhooks.
//
//   HttpRecorder rec;                       // listening on 127.0.0.1:<free port>
//   rec.respond(200, R"({"ProcessedFindings":[],"UnprocessedFindings":[]})");
//   … point the client at rec.endpoint() …
//   auto reqs = rec.requests();             // method, path, headers (lowercase), body

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aws/sigv4.h"

namespace riposte::testing {

struct RecordedRequest {
  std::string method, target;  // target: path and query as sent
  aws::Pairs headers;          // names lowercased
  std::string body;
  std::string header(std::string_view name) const;
  bool hasHeader(std::string_view name) const;
};

struct ScriptedResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  aws::Pairs headers{};  // more response headers
};

class HttpRecorder {
 public:
  HttpRecorder();  // binds 127.0.0.1:0 and starts serving (one connection at a time)
  ~HttpRecorder();
  HttpRecorder(const HttpRecorder&) = delete;
  HttpRecorder& operator=(const HttpRecorder&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The response to every following request.
  void respond(int status, std::string body, std::string content_type = "application/json");
  // A function that answers every following request instead (a local double of a protocol:
  // IMDSv2, container credentials, the SSO portal). Called on the server's thread.
  void handle(std::function<ScriptedResponse(const RecordedRequest&)> handler);
  std::vector<RecordedRequest> requests() const;

 private:
  void serve();
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;
  int status_ = 200;
  std::string body_ = "{}", content_type_ = "application/json";
  std::function<ScriptedResponse(const RecordedRequest&)> handler_;
};

}  // namespace riposte::testing
