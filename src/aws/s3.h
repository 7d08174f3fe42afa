#pragma once
// The few Amazon S3 calls riposte makes (REST, SigV4 with x-amz-content-sha256), through
// aws::Client: read a threat list (GetObject, conditional), keep the list of blocked
// addresses for GuardDuty (PutObject), and, for tests and set-up, CreateBucket.
//
// Addressing is path-style: <endpoint>/<bucket>/<key>, the endpoint being
// https://s3.<region>.amazonaws.com or AWS_ENDPOINT_URL(_S3) (resolveEndpoint); the key is
// URI-encoded once ('/' kept), as S3 signs it. Errors are S3's codes (NoSuchKey, NoSuchBucket,
// AccessDenied, …) with its message.

#include <string>

#include "aws/client.h"
#include "core/result.h"

namespace riposte::aws {

struct S3GetRequest {
  std::string region, bucket, key;
  std::string if_none_match;      // an ETag: 304 when the object still has it
  std::string if_modified_since;  // an HTTP date: 304 when not modified since
};

struct S3Object {
  bool not_modified = false;  // the conditional request's 304: body empty
  std::string body;
  std::string etag;           // as S3 sends it, quotes included
  std::string last_modified;  // the Last-Modified header, as sent
};

Result<S3Object> s3GetObject(const Client& client, const S3GetRequest& req);
// The object's new ETag.
Result<std::string> s3PutObject(const Client& client, const std::string& region,
                                const std::string& bucket, const std::string& key,
                                const std::string& body,
                                const std::string& content_type = "text/plain; charset=utf-8");
// Outside us-east-1 with a LocationConstraint, as S3 wants it. BucketAlreadyOwnedByYou is
// success.
Result<void> s3CreateBucket(const Client& client, const std::string& region,
                            const std::string& bucket);

}  // namespace riposte::aws
