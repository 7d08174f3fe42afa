#include "sources/ingest.h"

#include <gtest/gtest.h>

#include "sources/sqs_poller.h"

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

const char* kAsff =
    R"({"SchemaVersion":"2018-10-08","Id":"arn:aws:securityhub:eu-west-1:111122223333:finding/f-9",
  "ProductArn":"arn:aws:securityhub:eu-west-1::product/aws/guardduty","GeneratorId":"g",
  "AwsAccountId":"111122223333","Region":"eu-west-1","Types":["TTPs/Initial Access"],
  "CreatedAt":"2026-11-23T08:00:00.000Z","UpdatedAt":"2026-11-23T09:00:00.000Z",
  "Severity":{"Label":"HIGH","Normalized":80},"Title":"t","Description":"d",
  "ProductFields":{"aws/securityhub/FindingId":"arn:aws:securityhub:eu-west-1::product/aws/guardduty/f-9"},
  "Resources":[{"Type":"AwsEc2Instance","Id":"arn:aws:ec2:eu-west-1:111122223333:instance/i-9"}]})";

// A bare ASFF finding is what `riposte simulate` accepts: /v1/events wraps it as the event
// EventBridge delivers for Security Hub, instead of refusing it for want of "source".
TEST(Ingest, WrapsBareAsffFinding) {
  ManualClock clock;
  auto r = parseEventsBody(kAsff, clock);
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_EQ(r->size(), 1u);
  const auto& ev = (*r)[0];
  EXPECT_EQ(ev.source, "aws.securityhub");
  EXPECT_EQ(ev.detail_type, "Security Hub Findings - Imported");
  EXPECT_EQ(ev.account, "111122223333");
  EXPECT_EQ(ev.region, "eu-west-1");
  EXPECT_EQ(ev.envelope.at("time").as_string(), "2026-11-23T09:00:00.000Z");
  EXPECT_EQ(ev.envelope.at("version").as_string(), "0");
  EXPECT_EQ(ev.id.size(), 36u);
  const auto& findings = ev.envelope.at("detail").at("findings").as_array();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].at("Id").as_string(),
            "arn:aws:securityhub:eu-west-1:111122223333:finding/f-9");
  EXPECT_EQ(ev.envelope.at("resources").as_array().at(0).as_string(),
            "arn:aws:securityhub:eu-west-1::product/aws/guardduty/f-9");
  auto stored = parseJson(ev.body);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->at("source").as_string(), "aws.securityhub");
  // In an array, next to an event and a GuardDuty finding.
  std::string three = std::string("[") + kAsff + "," + kFinding +
                      R"(,{"source":"my.app","detail-type":"x","detail":{}}])";
  auto arr = parseEventsBody(three, clock);
  ASSERT_TRUE(arr) << arr.error().str();
  ASSERT_EQ(arr->size(), 3u);
  EXPECT_EQ((*arr)[0].source, "aws.securityhub");
  EXPECT_EQ((*arr)[1].source, "aws.guardduty");
  EXPECT_EQ((*arr)[2].source, "my.app");
  // Without UpdatedAt, the time is now.
  auto no_time = parseJson(kAsff)->as_object();
  no_time.erase("UpdatedAt");
  EXPECT_EQ(wrapAsffFinding(no_time, clock).envelope.at("time").as_string(),
            formatIso8601(clock.now(), false));
}

// SQS takes bare findings too (GuardDuty's and ASFF), directly or inside an SNS notification,
// and gives a wrapped finding the message id, so a redelivery is the same event.
TEST(Ingest, SqsBodiesMayBeBareFindings) {
  ManualClock clock;
  auto asff = eventFromSqsBody(kAsff, "m-1", clock);
  ASSERT_TRUE(asff) << asff.error().str();
  EXPECT_EQ(asff->source, "aws.securityhub");
  EXPECT_EQ(asff->id, "m-1");
  EXPECT_EQ(parseJson(asff->body)->at("id").as_string(), "m-1");
  auto gd = eventFromSqsBody(kFinding, "m-2", clock);
  ASSERT_TRUE(gd) << gd.error().str();
  EXPECT_EQ(gd->source, "aws.guardduty");
  EXPECT_EQ(gd->id, "m-2");
  json::object sns{{"Type", "Notification"}, {"Message", kAsff}};
  auto via_sns = eventFromSqsBody(json::serialize(sns), "m-3", clock);
  ASSERT_TRUE(via_sns) << via_sns.error().str();
  EXPECT_EQ(via_sns->source, "aws.securityhub");
  EXPECT_EQ(via_sns->id, "m-3");
  // An event keeps its own id; one without gets the message's.
  auto own =
      eventFromSqsBody(R"({"id":"e-7","source":"a","detail-type":"b","detail":{}})", "m-4", clock);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->id, "e-7");
  auto none = eventFromSqsBody(R"({"source":"a","detail-type":"b","detail":{}})", "m-5", clock);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->id, "m-5");
  EXPECT_FALSE(eventFromSqsBody(R"({"Types":["x"]})", "m-6", clock));
}

}  // namespace
}  // namespace riposte::sources
