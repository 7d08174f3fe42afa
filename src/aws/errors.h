#pragma once
// AWS error responses → riposte::Error, and which errors are worth retrying.

#include <string_view>

#include "aws/http.h"
#include "core/result.h"

namespace riposte::aws {

// Turns a non-2xx AWS response into Error{code, message} whatever its shape (Content-Type is
// not trusted; header names compare case-insensitively):
//  * Query XML: <Response><Errors><Error><Code>… (EC2) and <ErrorResponse><Error><Code>… (IAM,
//    SNS, STS, SQS);
//  * JSON: {"__type": "[namespace#]Code", "message"|"Message": …}, also "code"/"Code";
//  * the X-Amzn-ErrorType header ("Code:http://…"), which wins over the body, as in botocore;
//  * anything else (HTML, empty): code "InternalFailure" for 5xx, "HttpError<status>" otherwise,
//    with the status and the start of the body in the message.
Error parseAwsError(const HttpResponse& resp);

// Throttling error codes (RequestLimitExceeded, Throttling, ThrottlingException,
// TooManyRequestsException, …) as the AWS SDKs' standard retry mode lists them.
bool isThrottlingCode(std::string_view code);

// Whether a failed attempt should be retried: throttling, transient codes (RequestTimeout,
// InternalError, …), HTTP 429/500/502/503/504, and transport errors ("TransportError").
bool isRetryableError(const Error& e, long http_status);

}  // namespace riposte::aws
