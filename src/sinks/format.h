#pragma once
// Wire formats of the sinks: CEF, RFC 5424 syslog, RFC 6587 octet counting, Splunk HEC events.
// Pure functions, thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.h"
#include "store/store.h"

namespace riposte::sinks {

// CEF header field escaping: '\' → "\\", '|' → "\|"; newlines become spaces.
std::string cefEscapeHeader(std::string_view s);
// CEF extension value escaping: '\' → "\\", '=' → "\=", CR → "\r", LF → "\n".
std::string cefEscapeValue(std::string_view s);

// CEF severity 0–10 of an audit record: an incident's finding severity (rounded, clamped);
// a failed action 7, another ended action 3; execution records 1 (failed executions 6).
int cefSeverity(const store::AuditRecord& rec);

// "CEF:0|riposte|riposte|<version>|<kind>|<name>|<severity>|<extensions>"; extensions: rt (ms),
// externalId (audit seq), cat (kind), cs1 incidentId, cs2 executionId, cs3 rule/state, act
// (action), outcome (status), cs4 resourceId, msg (title/summary/error).
std::string toCef(const store::AuditRecord& rec);

// Syslog severity (RFC 5424 0–7) for a CEF severity.
int syslogSeverity(int cef_severity);

struct SyslogHeader {
  int facility = 13;  // 13: log audit
  std::string hostname = "-";
  std::string app_name = "riposte";
  std::string procid = "-";
};
// One RFC 5424 message: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG" with MSGID the
// record's kind, SD [riposte@32473 seq="N"] and the CEF text as MSG. Fields are trimmed to the
// RFC's lengths and printable ASCII.
std::string toRfc5424(const store::AuditRecord& rec, const SyslogHeader& header);
// RFC 6587 octet-counting frame: "<length> <message>".
std::string octetFrame(std::string_view message);

// "riposte:incident", "riposte:execution", "riposte:action" (by the kind's prefix).
std::string sourcetypeFor(std::string_view kind);

struct HecFields {
  std::string host;
  std::string source = "riposte";
  std::string index;  // empty: the token's default index
};
// One HEC event object: {"time":<s.mmm>,"host","source","sourcetype",["index"],
// "event":{"seq","kind",…the record's JSON…}}.
json::object toHecEvent(const store::AuditRecord& rec, const HecFields& fields);

// The record as one JSON line (no newline): {"seq","time_ms","time","kind","sourcetype","data"}.
std::string toJsonLine(const store::AuditRecord& rec);

}  // namespace riposte::sinks
