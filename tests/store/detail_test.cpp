// The helpers both backends share (src/store/detail.h): SQL placeholders, the column order the
// row readers and value writers agree on, and the shared checks.

#include "store/detail.h"

#include <gtest/gtest.h>

#include <variant>

namespace riposte::store::detail {
namespace {

TEST(StoreDetail, PlaceholdersForBothBackends) {
  EXPECT_EQ(placeholders('?', 3), "?1, ?2, ?3");
  EXPECT_EQ(placeholders('$', 2), "$1, $2");
  EXPECT_EQ(placeholders('$', 2, 12), "$12, $13");
  EXPECT_EQ(placeholders('?', 0), "");
}

// A row whose columns are the values a writer put, in order (what an INSERT of kActionCols
// followed by a SELECT of kActionCols gives back).
struct FakeRow {
  using Value = std::variant<std::string, int64_t, double, bool, std::monostate>;
  std::vector<Value> cols;
  void operator()(const std::string& v) { cols.emplace_back(v); }
  void operator()(int64_t v) { cols.emplace_back(v); }
  void operator()(double v) { cols.emplace_back(v); }
  void operator()(bool v) { cols.emplace_back(v); }
  void operator()(NullIfEmpty v) {
    if (v.s.empty()) {
      cols.emplace_back(std::monostate{});
    } else {
      cols.emplace_back(v.s);
    }
  }
  std::string text(int i) const {
    const auto* s = std::get_if<std::string>(&cols.at(static_cast<size_t>(i)));
    return s ? *s : "";  // NULL reads as ""
  }
  int64_t i64(int i) const { return std::get<int64_t>(cols.at(static_cast<size_t>(i))); }
  double real(int i) const { return std::get<double>(cols.at(static_cast<size_t>(i))); }
  bool flag(int i) const { return std::get<bool>(cols.at(static_cast<size_t>(i))); }
};

TEST(StoreDetail, ActionWriterAndReaderAgreeOnColumnOrder) {
  ActionRecord a;
  a.id = "act-1";
  a.execution_id = "exec-1";  // incident_id left empty: written as NULL
  a.state_name = "Isolate";
  a.action = "ec2.isolate";
  a.status = "succeeded";
  a.input = R"({"i":1})";
  a.before = R"({"b":1})";
  a.after = R"({"a":1})";
  a.output = R"({"o":1})";
  a.error_code = "E";
  a.error_message = "m";
  a.summary = "s";
  a.changed = true;
  a.started_ms = 10;
  a.ended_ms = 20;
  FakeRow row;
  actionValues(a, row);
  ASSERT_EQ(row.cols.size(), 16u);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(row.cols[1]));
  ActionRecord back = readAction(row);
  EXPECT_EQ(back.id, a.id);
  EXPECT_EQ(back.incident_id, "");
  EXPECT_EQ(back.execution_id, a.execution_id);
  EXPECT_EQ(back.state_name, a.state_name);
  EXPECT_EQ(back.action, a.action);
  EXPECT_EQ(back.status, a.status);
  EXPECT_EQ(back.input, a.input);
  EXPECT_EQ(back.before, a.before);
  EXPECT_EQ(back.after, a.after);
  EXPECT_EQ(back.output, a.output);
  EXPECT_EQ(back.error_code, a.error_code);
  EXPECT_EQ(back.error_message, a.error_message);
  EXPECT_EQ(back.summary, a.summary);
  EXPECT_TRUE(back.changed);
  EXPECT_EQ(back.started_ms, 10);
  EXPECT_EQ(back.ended_ms, 20);
}

TEST(StoreDetail, IncidentWriterAppliesDefaults) {
  IncidentRecord rec;
  rec.dedup_key = "k";
  rec.status = "";
  rec.created_ms = 5;  // updated_ms 0: the time is created_ms
  FakeRow row;
  incidentValues(rec, "inc-1", "evt-1", row);
  ASSERT_EQ(row.cols.size(), 16u);
  EXPECT_EQ(row.text(0), "inc-1");
  EXPECT_EQ(row.text(12), "open");
  EXPECT_EQ(row.i64(14), 5);
  EXPECT_EQ(row.text(15), "evt-1");
}

TEST(StoreDetail, ChecksRejectBadInput) {
  EXPECT_EQ(checkClaim("", 1, 1).error().code, "InvalidArgument");
  EXPECT_EQ(checkClaim("w", 0, 1).error().code, "InvalidArgument");
  EXPECT_EQ(checkClaim("w", 1, -1).error().code, "InvalidArgument");
  EXPECT_TRUE(checkClaim("w", 1, 0));
  EXPECT_EQ(checkSinkCursor("", 0).error().code, "InvalidArgument");
  EXPECT_EQ(checkSinkCursor("s", -1).error().code, "InvalidArgument");
  EXPECT_TRUE(checkSinkCursor("s", 0));
  HistoryRecord h;
  h.execution_id = "exec-2";
  EXPECT_EQ(checkHistoryEvent("exec-1", h).error().code, "InvalidArgument");
  h.execution_id = "";
  EXPECT_TRUE(checkHistoryEvent("exec-1", h));
  EXPECT_EQ(newIncidentId(IncidentRecord{}).rfind("inc", 0), 0u);
}

}  // namespace
}  // namespace riposte::store::detail
