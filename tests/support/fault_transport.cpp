#include "support/fault_transport.h"

namespace riposte::testing {

void FaultTransport::inject(aws::HttpResponse response, int times, std::string match) {
  std::lock_guard lock(mu_);
  faults_.push_back(Fault{std::move(response), times, std::move(match)});
}

Result<aws::HttpResponse> FaultTransport::send(const aws::HttpRequest& req) {
  {
    std::lock_guard lock(mu_);
    for (auto& f : faults_) {
      if (f.remaining <= 0) continue;
      if (!f.match.empty() && req.body.find(f.match) == std::string::npos &&
          req.url.find(f.match) == std::string::npos) {
        continue;
      }
      --f.remaining;
      ++injected_;
      if (f.response.status == 0) return fail("TransportError", "injected: connection reset");
      return f.response;
    }
    ++forwarded_;
  }
  return inner_->send(req);
}

int FaultTransport::injected() const {
  std::lock_guard lock(mu_);
  return injected_;
}

int FaultTransport::forwarded() const {
  std::lock_guard lock(mu_);
  return forwarded_;
}

aws::HttpResponse FaultTransport::ec2Throttling() {
  return {503,
          {{"content-type", "text/xml"}},
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>"
          "RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors>"
          "<RequestID>injected</RequestID></Response>"};
}

aws::HttpResponse FaultTransport::queryThrottling() {
  return {400,
          {{"content-type", "text/xml"}},
          "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate "
          "exceeded</Message></Error><RequestId>injected</RequestId></ErrorResponse>"};
}

aws::HttpResponse FaultTransport::jsonThrottling() {
  return {
      400,
      {{"content-type", "application/x-amz-json-1.1"}, {"x-amzn-errortype", "ThrottlingException"}},
      R"({"__type":"ThrottlingException","message":"Rate exceeded"})"};
}

aws::HttpResponse FaultTransport::html500() {
  return {500,
          {{"content-type", "text/html"}},
          "<!doctype html><html><title>500 Internal Server Error</title></html>"};
}

aws::HttpResponse FaultTransport::transportError() {
  return {0, {}, ""};
}

}  // namespace riposte::testing
