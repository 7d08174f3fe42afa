#include "sources/ingest.h"

#include <gtest/gtest.h>

namespace riposte::sources {
namespace {

const char* kFinding = R"({"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1",
  "id":"f-1","type":"UnauthorizedAccess:EC2/SSHBruteForce","severity":8,
  "updatedAt":"2026-11-23T09:00:00.000Z",
  "resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-1"}}})";

TEST(Ingest, WrapsBareGuardDutyFinding) {
  ManualClock clock;
  auto r = parseEventsBody(kFinding, clock);
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_EQ(r->size(), 1u);
  const auto& ev = (*r)[0];
  EXPECT_EQ(ev.source, "aws.guardduty");
  EXPECT_EQ(ev.detail_type, "GuardDuty Finding");
  EXPECT_EQ(ev.account, "123456789012");
  EXPECT_EQ(ev.region, "us-east-1");
  EXPECT_EQ(ev.envelope.at("time").as_string(), "2026-11-23T09:00:00.000Z");
  EXPECT_EQ(ev.envelope.at("detail").at("id").as_string(), "f-1");
  EXPECT_EQ(ev.id.size(), 36u);
}

TEST(Ingest, AcceptsEventAndArray) {
  ManualClock clock;
  std::string one = R"({"id":"e1","source":"aws.guardduty","detail-type":"GuardDuty Finding",
     "account":"111122223333","region":"eu-west-1","detail":{"severity":2}})";
  auto r = parseEventsBody(one, clock);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ((*r)[0].id, "e1");
  EXPECT_EQ((*r)[0].region, "eu-west-1");
  auto arr = parseEventsBody("[" + one + "," + kFinding + "]", clock);
  ASSERT_TRUE(arr) << arr.error().str();
  EXPECT_EQ(arr->size(), 2u);
}

TEST(Ingest, RejectsBadInputNamingWhatAndWhere) {
  ManualClock clock;
  auto bad = parseEventsBody(R"({"source":"x","detail-type":"y"})", clock);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "InvalidInput");
  EXPECT_NE(bad.error().message.find("missing \"detail\""), std::string::npos);

  auto second = parseEventsBody(
      R"([{"source":"x","detail-type":"y","detail":{}},{"source":"x","detail-type":"y","detail":1}])",
      clock);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("event[1]"), std::string::npos) << second.error().message;

  auto malformed = parseEventsBody(R"({"source":)", clock);
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, "InvalidJson");

  EXPECT_EQ(parseEventsBody("42", clock).error().code, "InvalidInput");
  EXPECT_EQ(parseEventsBody("[]", clock).error().code, "InvalidInput");

  std::string deep = R"({"source":"x","detail-type":"y","detail":)" + std::string(200, '[') +
                     std::string(200, ']') + "}";
  auto d = parseEventsBody(deep, clock);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("nesting"), std::string::npos);
}

TEST(Ingest, RejectsOversizeEvent) {
  ManualClock clock;
  std::string big = R"({"source":"x","detail-type":"y","detail":{"blob":")" +
                    std::string(300 * 1024, 'a') + "\"}}";
  auto r = parseEventsBody(big, clock);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "TooLarge");
  EXPECT_NE(r.error().message.find("256 KB"), std::string::npos);
}

TEST(PutEvents, PerEntryResultsLikeEventBridge) {
  ManualClock clock;
  auto r = parsePutEvents(
      R"({"Entries":[
        {"Source":"aws.guardduty","DetailType":"GuardDuty Finding","Detail":"{\"severity\":8}",
         "Resources":["arn:x"],"Time":"2026-11-23T09:00:00Z"},
        {"DetailType":"x","Detail":"{}"},
        {"Source":"s","DetailType":"x","Detail":"{not json"},
        {"Source":"s","DetailType":"x","Detail":"[1]"}]})",
      clock, "123456789012", "us-east-1");
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_EQ(r->size(), 4u);
  ASSERT_TRUE((*r)[0].event);
  EXPECT_EQ((*r)[0].event->envelope.at("time").as_string(), "2026-11-23T09:00:00Z");
  EXPECT_EQ((*r)[0].event->envelope.at("detail").at("severity").as_int64(), 8);
  EXPECT_EQ((*r)[1].error_code, "InvalidArgument");
  EXPECT_NE((*r)[1].error_message.find("Source"), std::string::npos);
  EXPECT_EQ((*r)[2].error_code, "MalformedDetail");
  EXPECT_EQ((*r)[3].error_code, "MalformedDetail");
}

TEST(PutEvents, RequestLevelErrors) {
  ManualClock clock;
  EXPECT_EQ(parsePutEvents("{", clock, "", "").error().code, "SerializationException");
  EXPECT_EQ(parsePutEvents("{}", clock, "", "").error().code, "ValidationException");
  std::string eleven = R"({"Entries":[)";
  for (int i = 0; i < 11; ++i)
    eleven += std::string(i ? "," : "") + R"({"Source":"s","DetailType":"d","Detail":"{}"})";
  eleven += "]}";
  EXPECT_EQ(parsePutEvents(eleven, clock, "", "").error().code, "ValidationException");
}

}  // namespace
}  // namespace riposte::sources
