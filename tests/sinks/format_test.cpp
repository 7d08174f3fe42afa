#include "sinks/format.h"

#include <gtest/gtest.h>

namespace riposte::sinks {
namespace {

store::AuditRecord incidentRecord() {
  store::AuditRecord r;
  r.seq = 42;
  r.time_ms = 1700000000123;
  r.kind = "incident.opened";
  r.json = R"({"incident":{"id":"inc-1","title":"SSH brute force | a=b\\c","severity":8.4,)"
           R"("rule":"guardduty-high","resource_id":"i-0abc","finding_type":"Recon:EC2/Port",)"
           R"("status":"open","account":"123456789012"},"event_id":"ev-1"})";
  return r;
}

std::string S(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : toJson(v);
}

TEST(CefTest, EscapesHeaderFields) {
  EXPECT_EQ(cefEscapeHeader(R"(a|b\c)"), R"(a\|b\\c)");
  EXPECT_EQ(cefEscapeHeader("line1\nline2"), "line1 line2");
  EXPECT_EQ(cefEscapeHeader("a=b"), "a=b");  // '=' needs no escape in the header
}

TEST(CefTest, EscapesExtensionValues) {
  EXPECT_EQ(cefEscapeValue(R"(a=b\c)"), R"(a\=b\\c)");
  EXPECT_EQ(cefEscapeValue("x\ny\rz"), R"(x\ny\rz)");
  EXPECT_EQ(cefEscapeValue("a|b"), "a|b");  // '|' needs no escape in extensions
}

TEST(CefTest, IncidentMessageHasHeaderAndExtensions) {
  std::string cef = toCef(incidentRecord());
  std::string prefix = std::string("CEF:0|riposte|riposte|") + RIPOSTE_VERSION +
                       "|incident.opened|Incident opened: SSH brute force \\| a=b\\\\c|8|";
  ASSERT_EQ(cef.substr(0, prefix.size()), prefix) << cef;
  std::string ext = cef.substr(prefix.size());
  EXPECT_NE(ext.find("rt=1700000000123"), std::string::npos) << ext;
  EXPECT_NE(ext.find("externalId=42"), std::string::npos);
  EXPECT_NE(ext.find("cs1Label=incidentId cs1=inc-1"), std::string::npos);
  EXPECT_NE(ext.find("cs4Label=resourceId cs4=i-0abc"), std::string::npos);
  EXPECT_NE(ext.find(R"(msg=SSH brute force | a\=b\\c)"), std::string::npos) << ext;
}

TEST(CefTest, SeverityFollowsTheRecord) {
  EXPECT_EQ(cefSeverity(incidentRecord()), 8);
  store::AuditRecord a{1, 1, "action.finished", R"({"status":"failed","action":"x"})"};
  EXPECT_EQ(cefSeverity(a), 7);
  a.json = R"({"status":"succeeded"})";
  EXPECT_EQ(cefSeverity(a), 3);
  store::AuditRecord high = incidentRecord();
  high.json = R"({"incident":{"severity":99}})";
  EXPECT_EQ(cefSeverity(high), 10);
  store::AuditRecord bad{1, 1, "incident.opened", "not json"};
  EXPECT_EQ(cefSeverity(bad), 5);
}

TEST(CefTest, ActionMessageCarriesActionOutcomeAndError) {
  store::AuditRecord a{7, 5000, "action.finished",
                       R"({"action_id":"act-1","incident_id":"inc-1","execution_id":"exec-1",)"
                       R"("state_name":"Isolate","action":"aws.ec2.isolateInstance",)"
                       R"("status":"failed","summary":"","error_code":"AccessDenied",)"
                       R"("error_message":"no = allowed"})"};
  std::string cef = toCef(a);
  EXPECT_NE(cef.find("|action.finished|Action aws.ec2.isolateInstance failed|7|"),
            std::string::npos)
      << cef;
  EXPECT_NE(cef.find("act=aws.ec2.isolateInstance"), std::string::npos);
  EXPECT_NE(cef.find("outcome=failed"), std::string::npos);
  EXPECT_NE(cef.find(R"(msg=AccessDenied: no \= allowed)"), std::string::npos) << cef;
  EXPECT_NE(cef.find("cs2Label=executionId cs2=exec-1"), std::string::npos);
}

TEST(SyslogTest, Rfc5424MessageShape) {
  SyslogHeader h;
  h.facility = 13;
  h.hostname = "host one";  // the space is not allowed in a header field
  h.procid = "123";
  std::string m = toRfc5424(incidentRecord(), h);
  // PRI = 13 * 8 + severity(error = 3 for CEF 8).
  std::string want =
      "<107>1 2023-11-14T22:13:20.123Z hostone riposte 123 incident.opened "
      "[riposte@32473 seq=\"42\"] CEF:0|riposte|";
  EXPECT_EQ(m.substr(0, want.size()), want) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
}

TEST(SyslogTest, SeverityMapping) {
  EXPECT_EQ(syslogSeverity(10), 2);
  EXPECT_EQ(syslogSeverity(7), 3);
  EXPECT_EQ(syslogSeverity(5), 4);
  EXPECT_EQ(syslogSeverity(3), 5);
  EXPECT_EQ(syslogSeverity(0), 6);
}

TEST(SyslogTest, OctetCountingFrame) {
  EXPECT_EQ(octetFrame("hello"), "5 hello");
  EXPECT_EQ(octetFrame(""), "0 ");
  std::string utf8 = "caf\xc3\xa9";  // length in octets, not characters
  EXPECT_EQ(octetFrame(utf8), "5 " + utf8);
}

TEST(HecFormatTest, EventHasTimeHostSourceSourcetypeAndIndex) {
  HecFields f;
  f.host = "riposte-1";
  f.index = "security";
  auto ev = toHecEvent(incidentRecord(), f);
  EXPECT_DOUBLE_EQ(ev.at("time").to_number<double>(), 1700000000.123);
  EXPECT_EQ(S(ev.at("host")), "riposte-1");
  EXPECT_EQ(S(ev.at("source")), "riposte");
  EXPECT_EQ(S(ev.at("sourcetype")), "riposte:incident");
  EXPECT_EQ(S(ev.at("index")), "security");
  const auto& body = ev.at("event").as_object();
  EXPECT_EQ(S(body.at("seq")), "42");
  EXPECT_EQ(S(body.at("kind")), "incident.opened");
  EXPECT_EQ(S(body.at("incident").as_object().at("id")), "inc-1");
  f.index.clear();
  EXPECT_FALSE(toHecEvent(incidentRecord(), f).contains("index"));
}

TEST(HecFormatTest, SourcetypePerKind) {
  EXPECT_EQ(sourcetypeFor("incident.status"), "riposte:incident");
  EXPECT_EQ(sourcetypeFor("execution.step"), "riposte:execution");
  EXPECT_EQ(sourcetypeFor("action.finished"), "riposte:action");
  EXPECT_EQ(sourcetypeFor("other"), "riposte:audit");
}

TEST(JsonLineTest, OneObjectPerRecord) {
  auto line = toJsonLine(incidentRecord());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto v = parseJson(line).value().as_object();
  EXPECT_EQ(S(v.at("seq")), "42");
  EXPECT_EQ(S(v.at("time")), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(S(v.at("kind")), "incident.opened");
  EXPECT_EQ(S(v.at("data").as_object().at("event_id")), "ev-1");
}

}  // namespace
}  // namespace riposte::sinks
