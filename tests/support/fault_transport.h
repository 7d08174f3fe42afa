#pragma once
// An HTTP transport that injects AWS faults in front of a real one (a fault-injecting proxy
// without the proxy): the next N requests matching a predicate get a scripted response
// (throttling, 5xx, HTML) or a transport error instead of reaching the server.
//
//   auto faults = std::make_shared<FaultTransport>(aws::makeCurlTransport());
//   faults->inject(FaultTransport::ec2Throttling(), 2, "Action=ModifyNetworkInterfaceAttribute");
//   aws::Client client(creds, policy, faults);

#include <mutex>
#include <string>
#include <vector>

#include "aws/http.h"

namespace riposte::testing {

class FaultTransport : public aws::HttpTransport {
 public:
  explicit FaultTransport(std::shared_ptr<aws::HttpTransport> inner) : inner_(std::move(inner)) {}

  // The next `times` requests whose body or URL contains `match` ("" = any) get `response`
  // (status 0 = a transport error) instead of being forwarded.
  void inject(aws::HttpResponse response, int times, std::string match = "");

  Result<aws::HttpResponse> send(const aws::HttpRequest& req) override;

  int injected() const;   // faults served so far
  int forwarded() const;  // requests that reached the server

  static aws::HttpResponse ec2Throttling();    // 503 RequestLimitExceeded (EC2 XML)
  static aws::HttpResponse queryThrottling();  // 400 Throttling (IAM/SNS XML)
  static aws::HttpResponse jsonThrottling();   // 400 ThrottlingException (JSON + header)
  static aws::HttpResponse html500();          // 500 HTML, as moto's NotImplemented
  static aws::HttpResponse transportError();   // status 0 → TransportError

 private:
  struct Fault {
    aws::HttpResponse response;
    int remaining;
    std::string match;
  };
  std::shared_ptr<aws::HttpTransport> inner_;
  mutable std::mutex mu_;
  std::vector<Fault> faults_;
  int injected_ = 0, forwarded_ = 0;
};

}  // namespace riposte::testing
