#pragma once
// Normalisation of what arrives into EventBridge events (the envelope every rule matches).
// Pure functions: no I/O. The server and the SQS/file sources call them, then store the
// result in the durable inbox before they answer.

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"

namespace riposte::sources {

// One event ready for the inbox: the full EventBridge envelope
// {version,id,detail-type,source,account,time,region,resources,detail}.
struct NormalizedEvent {
  std::string id;
  std::string source;
  std::string detail_type;
  std::string account;
  std::string region;
  json::object envelope;
  std::string body;  // serialised envelope (what is stored and matched)
};

// True when `v` looks like a bare GuardDuty finding (what GuardDuty's GetFindings returns, not
// yet wrapped by EventBridge): it has schemaVersion, type, severity and resource.
bool isBareGuardDutyFinding(const json::object& v);

// Wraps a bare GuardDuty finding as the "GuardDuty Finding" event EventBridge delivers.
NormalizedEvent wrapGuardDutyFinding(const json::object& finding, const Clock& clock);

// Wraps a bare ASFF finding (what Security Hub's GetFindings returns and BatchImportFindings
// takes; sources::isAsffFinding) as the "Security Hub Findings - Imported" event EventBridge
// delivers: source "aws.securityhub", detail {"findings": [finding]}, account, region and time
// from the finding (AwsAccountId, Region, UpdatedAt; the clock when it has no UpdatedAt).
NormalizedEvent wrapAsffFinding(const json::object& finding, const Clock& clock);

// One JSON object as /v1/events and SQS accept it: an EventBridge event (normalizeEvent), a
// bare GuardDuty finding or a bare ASFF finding (each wrapped as EventBridge delivers it).
// `id`, when not empty, is the id of an event that has none of its own (a wrapped finding, an
// event without "id"; SQS gives its message id, so a redelivery is the same event); else a
// new UUID. PutEvents entries are events by definition and do not come through here.
Result<NormalizedEvent> eventFromObject(const json::object& object, const Clock& clock,
                                        const std::string& where, const std::string& id = "");

// Validates one EventBridge event (an object with "detail-type", "source" and an object
// "detail") and fills in what EventBridge always sets (id, time, version, resources, account,
// region). `where` names the item in errors ("event[2]").
Result<NormalizedEvent> normalizeEvent(const json::object& event, const Clock& clock,
                                       const std::string& where);

// The body of POST /v1/events: one event, an array of events, or a bare GuardDuty or ASFF
// finding (eventFromObject, per item).
// Rejects the whole request on the first bad item (nothing half-accepted), with an error
// naming the item and what is wrong. Code "InvalidInput" (or "InvalidJson", "TooLarge").
Result<std::vector<NormalizedEvent>> parseEventsBody(std::string_view body, const Clock& clock);

// --- EventBridge PutEvents (JSON 1.1) ---
struct PutEventsEntryResult {
  std::optional<NormalizedEvent> event;  // set when the entry is valid
  std::string error_code;                // else: EventBridge's ErrorCode
  std::string error_message;
};
// Parses a PutEvents request body. A request-level problem (malformed JSON, no Entries, more
// than 10 entries, over the size limit) is an Error whose code is the AWS exception name
// ("ValidationException", "SerializationException"). Per-entry problems are per-entry results,
// exactly as EventBridge reports them (InvalidArgument, MalformedDetail).
Result<std::vector<PutEventsEntryResult>> parsePutEvents(std::string_view body, const Clock& clock,
                                                         const std::string& default_account,
                                                         const std::string& default_region);

}  // namespace riposte::sources
