// The AWS client's CPU work per call: asking the credentials provider for the set to sign
// with, SigV4 signing and parsing a Query (XML) response.
#include <benchmark/benchmark.h>

#include "aws/client.h"
#include "aws/sigv4.h"
#include "aws/xml.h"

namespace {

using namespace riposte;

void BM_SignQueryRequest(benchmark::State& state) {
  const aws::Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "token"};
  const std::string body = aws::formEncode({{"Action", "ModifyNetworkInterfaceAttribute"},
                                            {"Version", "2016-11-15"},
                                            {"NetworkInterfaceId", "eni-0123456789abcdef0"},
                                            {"SecurityGroupId.1", "sg-0123456789abcdef0"}});
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    aws::SigningRequest req;
    req.method = "POST";
    req.body = body;
    req.headers = {{"Host", "ec2.us-east-1.amazonaws.com"},
                   {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    aws::signRequest(req, creds, "us-east-1", "ec2", now);
    benchmark::DoNotOptimize(req.headers.back().second.data());
  }
}
BENCHMARK(BM_SignQueryRequest);

// What every signed request pays to get its credentials from a refreshing provider (fresh
// credentials: a lock and a copy), alone and with threads contending.
class OneHourSource final : public aws::CredentialsSource {
 public:
  Result<aws::ExpiringCredentials> fetch() override {
    return aws::ExpiringCredentials{
        {"ASIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", std::string(900, 't')},
        std::chrono::system_clock::now() + std::chrono::hours(1)};
  }
  std::string describe() const override { return "bench"; }
};

aws::RefreshingCredentialsProvider& benchProvider() {
  static aws::RefreshingCredentialsProvider p(std::make_unique<OneHourSource>());
  return p;
}

void BM_CredentialsGet(benchmark::State& state) {
  auto& p = benchProvider();
  for (auto _ : state) {
    auto c = p.get();
    benchmark::DoNotOptimize(c->session_token.data());
  }
}
BENCHMARK(BM_CredentialsGet)->Threads(1)->Threads(4);

std::string describeInstancesXml(int n) {
  std::string x =
      "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15\">"
      "<requestId>r</requestId><reservationSet>";
  for (int i = 0; i < n; ++i) {
    x += "<item><reservationId>r-" + std::to_string(i) +
         "</reservationId><instancesSet><item><instanceId>i-0" + std::to_string(i) +
         "</instanceId><vpcId>vpc-1</vpcId><subnetId>subnet-1</subnetId><groupSet><item>"
         "<groupId>sg-a</groupId><groupName>web</groupName></item><item><groupId>sg-b</groupId>"
         "<groupName>app</groupName></item></groupSet><networkInterfaceSet><item>"
         "<networkInterfaceId>eni-1</networkInterfaceId><groupSet><item><groupId>sg-a</groupId>"
         "</item></groupSet></item></networkInterfaceSet><tagSet><item><key>Name</key><value>"
         "web-1</value></item></tagSet></item></instancesSet></item>";
  }
  return x + "</reservationSet></DescribeInstancesResponse>";
}

void BM_ParseDescribeInstancesToJson(benchmark::State& state) {
  const std::string xml = describeInstancesXml(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto doc = aws::XmlDocument::parse(xml);
    json::value v = doc->toJson();
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * xml.size()));
}
BENCHMARK(BM_ParseDescribeInstancesToJson)->Arg(1)->Arg(100);

}  // namespace
