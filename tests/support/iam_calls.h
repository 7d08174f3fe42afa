#pragma once
// What IAM checks for the AWS calls riposte makes, for tests that prove a generated policy
// allows every call a playbook made: a transport that records the requests, and a model of the
// authorization of each operation — the IAM action and the resources AWS authorizes it
// against, as the IAM Service Authorization Reference lists them, with the ids taken from the
// request. The model is written from the reference, independently of the action descriptors it
// checks.
//
//   auto rec = std::make_shared<RecordingTransport>(aws::makeCurlTransport());
//   aws::Client client(creds, {}, rec);  … run playbooks …
//   for (const auto& req : rec->requests()) {
//     auto call = authorizationOf(req, "123456789012", lookup);   // every IAM check it needs
//     for (const auto& check : call->checks) evaluateIam(policy, check) == IamDecision::kAllow;
//   }

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "aws/http.h"
#include "core/result.h"
#include "support/iam_evaluator.h"

namespace riposte::testing {

class AwsFixtures;

// Records every request, then sends it on.
class RecordingTransport : public aws::HttpTransport {
 public:
  explicit RecordingTransport(std::shared_ptr<aws::HttpTransport> inner)
      : inner_(std::move(inner)) {}
  Result<aws::HttpResponse> send(const aws::HttpRequest& req) override;
  std::vector<aws::HttpRequest> requests() const;
  void clear();

 private:
  std::shared_ptr<aws::HttpTransport> inner_;
  mutable std::mutex mu_;
  std::vector<aws::HttpRequest> requests_;
};

// What the model cannot read from a request and must look up.
struct IamLookup {
  // The tags of an IAM user or role ("user" / "role", name): aws:ResourceTag/<key> of the
  // principal an IAM call acts on. Default: none.
  std::function<std::map<std::string, std::string>(const std::string& kind,
                                                   const std::string& name)>
      principal_tags;
  // The role in an instance profile (its ARN), which AssociateIamInstanceProfile passes to EC2.
  // Default: "arn:aws:iam::<account>:role/unknown".
  std::function<std::string(const std::string& profile_arn)> role_of_profile;
};

struct AuthorizedCall {
  std::string api;                 // "ec2:ModifyInstanceAttribute"
  std::vector<IamRequest> checks;  // every (IAM action, resource, context) AWS authorizes
};

// The IAM checks of one recorded request (Query, JSON 1.1 or REST-JSON, from its signature's
// service and region). Error "NoModel" for an operation the model does not cover.
Result<AuthorizedCall> authorizationOf(const aws::HttpRequest& req, const std::string& account,
                                       const IamLookup& lookup = {});

// The look-ups answered through moto (ListUserTags / ListRoleTags, GetInstanceProfile).
IamLookup motoIamLookup(AwsFixtures& fx, const std::string& account);

// Every IAM check of every request evaluated against `policy`: a gtest failure for each one
// not allowed and for each request the model does not cover. Returns the APIs the requests
// called ("ec2:CreateSnapshot", …).
std::set<std::string> expectEveryCallAllowed(const std::vector<aws::HttpRequest>& requests,
                                             const json::value& policy, const std::string& account,
                                             const IamLookup& lookup);

}  // namespace riposte::testing
