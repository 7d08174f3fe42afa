#include "aws/s3.h"

#include "aws/sigv4.h"

namespace riposte::aws {

namespace {

Call s3Call(const std::string& region, const char* action) {
  Call c;
  c.service = "s3";
  c.region = region;
  c.action = action;
  return c;
}

std::string objectPath(const std::string& bucket, const std::string& key) {
  return "/" + bucket + "/" + uriEncode(key, true);
}

}  // namespace

Result<S3Object> s3GetObject(const Client& client, const S3GetRequest& req) {
  Call call = s3Call(req.region, "GetObject");
  call.method = "GET";
  call.accept_not_modified = true;
  Pairs headers = {{"x-amz-content-sha256", sha256Hex("")}};
  if (!req.if_none_match.empty()) headers.emplace_back("If-None-Match", req.if_none_match);
  if (!req.if_modified_since.empty())
    headers.emplace_back("If-Modified-Since", req.if_modified_since);
  auto r = client.send(call, "GET", objectPath(req.bucket, req.key), {}, "", "", headers);
  if (!r) return fail(r.error());
  S3Object out;
  out.not_modified = r->status == 304;
  if (!out.not_modified) out.body = std::move(r->body);
  out.etag = r->header("etag").value_or("");
  out.last_modified = r->header("last-modified").value_or("");
  return out;
}

Result<std::string> s3PutObject(const Client& client, const std::string& region,
                                const std::string& bucket, const std::string& key,
                                const std::string& body, const std::string& content_type) {
  Call call = s3Call(region, "PutObject");
  call.method = "PUT";
  auto r = client.send(call, "PUT", objectPath(bucket, key), {}, body, content_type,
                       {{"x-amz-content-sha256", sha256Hex(body)}});
  if (!r) return fail(r.error());
  return r->header("etag").value_or("");
}

Result<void> s3CreateBucket(const Client& client, const std::string& region,
                            const std::string& bucket) {
  Call call = s3Call(region, "CreateBucket");
  call.method = "PUT";
  std::string body;
  if (region != "us-east-1") {
    body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        region + "</LocationConstraint></CreateBucketConfiguration>";
  }
  auto r = client.send(call, "PUT", "/" + bucket, {}, body, body.empty() ? "" : "application/xml",
                       {{"x-amz-content-sha256", sha256Hex(body)}});
  if (!r && r.error().code != "BucketAlreadyOwnedByYou") return fail(r.error());
  return {};
}

}  // namespace riposte::aws
