#include "stream/event_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json_writer.h"
#include "stream/passenger_source.h"

namespace kappa::stream {

// Readable failure output: events as their JSON, rejections as kind + reason.
void PrintTo(const PassengerEvent& event, std::ostream* os) {
  std::string json;
  EncodeEvent(event, &json);
  *os << json;
}

void PrintTo(const Rejection& rejection, std::ostream* os) {
  *os << RejectKindName(rejection.kind) << ": " << rejection.reason;
}

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Matches a Decode() result that rejected with `kind` and a reason matching
// `reason` (a string for equality, or a matcher such as HasSubstr).
MATCHER_P2(IsRejection, kind, reason, "") {
  if (!arg) {
    *result_listener << "the event was accepted";
    return false;
  }
  *result_listener << "rejected as " << RejectKindName(arg->kind) << ": \"" << arg->reason << "\"";
  return arg->kind == kind && ::testing::Matches(reason)(arg->reason);
}

// Titanic passenger 1 as raw JSON fields, in Kaggle's column order. Tests
// build variants by replacing, removing or adding fields.
using RawFields = std::vector<std::pair<std::string, std::string>>;

RawFields FullFields() {
  return {
      {"PassengerId", "1"},
      {"Survived", "0"},
      {"Pclass", "3"},
      {"Name", R"("Braund, Mr. Owen Harris")"},
      {"Sex", R"("male")"},
      {"Age", "22"},
      {"SibSp", "1"},
      {"Parch", "0"},
      {"Ticket", R"("A/5 21171")"},
      {"Fare", "7.25"},
      {"Cabin", "null"},
      {"Embarked", R"("S")"},
      {"ts", "1700000000000"},
  };
}

std::string ToJson(const RawFields& fields) {
  std::string json = "{";
  for (const auto& [name, raw] : fields) {
    if (json.size() > 1) json += ',';
    json.append("\"").append(name).append("\":").append(raw);
  }
  return json + "}";
}

// The full event with one field's raw JSON value replaced.
std::string FullEventWith(std::string_view name, std::string_view raw) {
  RawFields fields = FullFields();
  for (auto& [field, value] : fields) {
    if (field == name) value = raw;
  }
  return ToJson(fields);
}

std::string FullEventWithout(std::string_view name) {
  RawFields fields = FullFields();
  std::erase_if(fields, [&](const auto& field) { return field.first == name; });
  return ToJson(fields);
}

constexpr std::string_view kMinimalEvent = R"({"PassengerId":7,"Pclass":1,"Sex":"female"})";

PassengerEvent FullEvent() {
  PassengerEvent e;
  e.passenger_id = 1;
  e.survived = 0;
  e.pclass = 3;
  e.name = "Braund, Mr. Owen Harris";
  e.sex = Sex::kMale;
  e.age = 22.0;
  e.sib_sp = 1;
  e.parch = 0;
  e.ticket = "A/5 21171";
  e.fare = 7.25;
  e.embarked = 'S';
  e.ts_ms = 1700000000000;
  return e;
}

class EventDecoderTest : public ::testing::Test {
 protected:
  std::optional<Rejection> Decode(std::string_view json) { return decoder_.Decode(json, &event_); }

  EventDecoder decoder_;
  PassengerEvent event_;
};

// ---- Valid events -----------------------------------------------------------

TEST_F(EventDecoderTest, DecodesFullEventFieldByField) {
  ASSERT_EQ(Decode(ToJson(FullFields())), std::nullopt);
  EXPECT_EQ(event_.passenger_id, 1);
  EXPECT_EQ(event_.survived, 0);
  EXPECT_EQ(event_.pclass, 3);
  EXPECT_EQ(event_.name, "Braund, Mr. Owen Harris");
  EXPECT_EQ(event_.sex, Sex::kMale);
  EXPECT_EQ(event_.age, 22.0);
  EXPECT_EQ(event_.sib_sp, 1);
  EXPECT_EQ(event_.parch, 0);
  EXPECT_EQ(event_.ticket, "A/5 21171");
  EXPECT_EQ(event_.fare, 7.25);
  EXPECT_EQ(event_.cabin, std::nullopt);
  EXPECT_EQ(event_.embarked, 'S');
  EXPECT_EQ(event_.ts_ms, 1700000000000);
  EXPECT_EQ(event_, FullEvent());
}

TEST_F(EventDecoderTest, MinimalEventHasAllOptionalFieldsAbsent) {
  ASSERT_EQ(Decode(kMinimalEvent), std::nullopt);
  EXPECT_EQ(event_.passenger_id, 7);
  EXPECT_EQ(event_.pclass, 1);
  EXPECT_EQ(event_.sex, Sex::kFemale);
  EXPECT_EQ(event_.age, std::nullopt);
  EXPECT_EQ(event_.sib_sp, std::nullopt);
  EXPECT_EQ(event_.parch, std::nullopt);
  EXPECT_EQ(event_.fare, std::nullopt);
  EXPECT_EQ(event_.name, std::nullopt);
  EXPECT_EQ(event_.ticket, std::nullopt);
  EXPECT_EQ(event_.cabin, std::nullopt);
  EXPECT_EQ(event_.embarked, std::nullopt);
  EXPECT_EQ(event_.survived, std::nullopt);
  EXPECT_EQ(event_.ts_ms, std::nullopt);
}

TEST_F(EventDecoderTest, NullOptionalFieldsAreAbsent) {
  RawFields fields = FullFields();
  for (auto& [name, raw] : fields) {
    if (name != "PassengerId" && name != "Pclass" && name != "Sex") raw = "null";
  }
  ASSERT_EQ(Decode(ToJson(fields)), std::nullopt);
  PassengerEvent expected;
  expected.passenger_id = 1;
  expected.pclass = 3;
  expected.sex = Sex::kMale;
  EXPECT_EQ(event_, expected);
}

TEST_F(EventDecoderTest, IgnoresUnknownFields) {
  // Seed-style producers add encoded features; extra fields may repeat.
  RawFields fields = FullFields();
  fields.insert(fields.begin(), {"Sex_enc", "1"});
  fields.emplace_back("source", R"({"host":"a","tags":["x",{"y":[1.5e3,true,null]}]})");
  fields.emplace_back("Sex_enc", "1");
  fields.emplace_back("age", R"("lower-case keys are different fields")");
  ASSERT_EQ(Decode(ToJson(fields)), std::nullopt);
  EXPECT_EQ(event_, FullEvent());
}

TEST_F(EventDecoderTest, ResetsOptionalFieldsBetweenEvents) {
  ASSERT_EQ(Decode(ToJson(FullFields())), std::nullopt);
  ASSERT_EQ(Decode(kMinimalEvent), std::nullopt);
  PassengerEvent expected;
  expected.passenger_id = 7;
  expected.pclass = 1;
  expected.sex = Sex::kFemale;
  EXPECT_EQ(event_, expected);
}

TEST_F(EventDecoderTest, AcceptsIntegralDoubleForIntegerFields) {
  // pandas writes integer columns with missing values as floats.
  ASSERT_EQ(Decode(FullEventWith("Pclass", "3.0")), std::nullopt);
  EXPECT_EQ(event_.pclass, 3);
  ASSERT_EQ(Decode(FullEventWith("SibSp", "2.0")), std::nullopt);
  EXPECT_EQ(event_.sib_sp, 2);
  ASSERT_EQ(Decode(FullEventWith("PassengerId", "1.2e1")), std::nullopt);
  EXPECT_EQ(event_.passenger_id, 12);
}

TEST_F(EventDecoderTest, DecodesFractionalAgeOfInfants) {
  ASSERT_EQ(Decode(FullEventWith("Age", "0.42")), std::nullopt);
  EXPECT_EQ(event_.age, 0.42);
}

TEST_F(EventDecoderTest, DecodesEscapedStrings) {
  ASSERT_EQ(Decode(FullEventWith("Name", R"("O\"Brien, \\ Zo\u00eb \ud83d\ude00\n")")),
            std::nullopt);
  EXPECT_EQ(event_.name, "O\"Brien, \\ Zo\u00eb \U0001F600\n");
}

TEST_F(EventDecoderTest, AcceptsWhitespaceAroundTheObject) {
  ASSERT_EQ(Decode(" \n\t{ \"PassengerId\" : 7 , \"Pclass\" : 1 , \"Sex\" : \"female\" }\r\n"),
            std::nullopt);
  EXPECT_EQ(event_.passenger_id, 7);
}

TEST_F(EventDecoderTest, DecodesValueWithoutPaddingAfterIt) {
  // A Kafka payload ends exactly at its last byte; the decoder must not read
  // past it (ASan flags an overread of this heap block).
  const std::string json = ToJson(FullFields());
  const std::vector<char> exact(json.begin(), json.end());
  ASSERT_EQ(decoder_.Decode(std::string_view(exact.data(), exact.size()), &event_), std::nullopt);
  EXPECT_EQ(event_, FullEvent());
}

TEST_F(EventDecoderTest, DecodesLargerEventAfterSmallerOne) {
  // The padded copy buffer grows; a stale tail must not leak into the event.
  ASSERT_EQ(Decode(kMinimalEvent), std::nullopt);
  ASSERT_EQ(Decode(FullEventWith("Name", '"' + std::string(5000, 'n') + '"')), std::nullopt);
  EXPECT_EQ(event_.name, std::string(5000, 'n'));
  ASSERT_EQ(Decode(kMinimalEvent), std::nullopt);
  EXPECT_EQ(event_.name, std::nullopt);
}

// ---- Envelope: tombstone, size, encoding ----------------------------------

TEST_F(EventDecoderTest, RejectsTombstone) {
  EXPECT_THAT(
      decoder_.Decode(std::nullopt, &event_),
      IsRejection(RejectKind::kNullValue, "null value (tombstone): expected a JSON object"));
}

TEST_F(EventDecoderTest, RejectsEmptyMessage) {
  EXPECT_THAT(Decode(""), IsRejection(RejectKind::kEmpty, "empty message"));
}

TEST_F(EventDecoderTest, RejectsWhitespaceOnlyMessageAsNotJson) {
  EXPECT_THAT(Decode("  \n"),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: EMPTY")));
}

TEST_F(EventDecoderTest, RejectsEventOverCustomSizeLimit) {
  EventDecoder decoder(DecoderOptions{.max_event_bytes = 40});
  EXPECT_THAT(
      decoder.Decode(kMinimalEvent, &event_),
      IsRejection(RejectKind::kOversize,
                  "event is " + std::to_string(kMinimalEvent.size()) + " bytes, limit is 40"));
}

TEST_F(EventDecoderTest, AcceptsEventOfExactlyTheSizeLimit) {
  EventDecoder decoder(DecoderOptions{.max_event_bytes = kMinimalEvent.size()});
  EXPECT_EQ(decoder.Decode(kMinimalEvent, &event_), std::nullopt);
}

TEST_F(EventDecoderTest, RejectsEventOverDefaultSizeLimit) {
  const std::string json = FullEventWith("Name", '"' + std::string(size_t{20} * 1024, 'x') + '"');
  EXPECT_THAT(Decode(json),
              IsRejection(RejectKind::kOversize,
                          "event is " + std::to_string(json.size()) + " bytes, limit is 16384"));
}

TEST_F(EventDecoderTest, RejectsInvalidUtf8ByteWithItsPosition) {
  const std::string prefix = R"({"PassengerId":1,"Pclass":3,"Sex":"male","Name":"ab)";
  EXPECT_THAT(Decode(prefix + "\xFF" + "c\"}"),
              IsRejection(RejectKind::kInvalidUtf8,
                          "invalid UTF-8 at byte " + std::to_string(prefix.size())));
}

TEST_F(EventDecoderTest, RejectsTruncatedMultiByteSequenceWithItsPosition) {
  // U+00E9 is C3 A9; the A9 is missing.
  const std::string prefix = R"({"PassengerId":1,"Pclass":3,"Sex":"male","Name":"Ren)";
  EXPECT_THAT(Decode(prefix + "\xC3" + "\"}"),
              IsRejection(RejectKind::kInvalidUtf8,
                          "invalid UTF-8 at byte " + std::to_string(prefix.size())));
}

TEST_F(EventDecoderTest, RejectsEncodedSurrogateAsInvalidUtf8) {
  const std::string prefix = R"({"PassengerId":1,"Pclass":3,"Sex":"male","Name":")";
  EXPECT_THAT(Decode(prefix + "ok \xED\xA0\x80\"}"),
              IsRejection(RejectKind::kInvalidUtf8,
                          "invalid UTF-8 at byte " + std::to_string(prefix.size() + 3)));
}

// ---- Not JSON, not an object ------------------------------------------------

TEST_F(EventDecoderTest, RejectsTextThatIsNotJson) {
  EXPECT_THAT(Decode("hello"), IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: ")));
}

TEST_F(EventDecoderTest, RejectsTruncatedDocument) {
  EXPECT_THAT(Decode(R"({"PassengerId": 1, "Pcl)"),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: UNCLOSED_STRING: ")));
  EXPECT_THAT(Decode(R"({"PassengerId": 1, )"),
              IsRejection(RejectKind::kNotJson,
                          StartsWith("not valid JSON: INCOMPLETE_ARRAY_OR_OBJECT: ")));
}

TEST_F(EventDecoderTest, RejectsTrailingGarbage) {
  EXPECT_THAT(Decode(std::string(kMinimalEvent) + " x"),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: ")));
  EXPECT_THAT(Decode(std::string(kMinimalEvent) + "}"),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: TRAILING_CONTENT: ")));
}

TEST_F(EventDecoderTest, RejectsTwoConcatenatedObjects) {
  EXPECT_THAT(Decode(std::string(kMinimalEvent) + std::string(kMinimalEvent)),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: TRAILING_CONTENT: ")));
}

TEST_F(EventDecoderTest, RejectsMissingCommaBetweenFields) {
  EXPECT_THAT(Decode(R"({"PassengerId":1 "Pclass":3,"Sex":"male"})"),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: TAPE_ERROR: ")));
}

TEST_F(EventDecoderTest, RejectsMalformedLiteral) {
  EXPECT_THAT(Decode(FullEventWith("Age", "nul")),
              IsRejection(RejectKind::kNotJson,
                          "not valid JSON: N_ATOM_ERROR: Problem while parsing an atom starting "
                          "with the letter 'n' (field \"Age\")"));
}

TEST_F(EventDecoderTest, RejectsMalformedNumber) {
  EXPECT_THAT(Decode(FullEventWith("Fare", "01")),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: NUMBER_ERROR: ")));
  EXPECT_THAT(Decode(FullEventWith("Pclass", "1.2.3")),
              IsRejection(RejectKind::kNotJson, HasSubstr("(field \"Pclass\")")));
}

TEST_F(EventDecoderTest, RejectsMalformedUnknownField) {
  // On-Demand alone would skip this value by counting brackets.
  RawFields fields = FullFields();
  fields.emplace_back("extra", "[1,,2]");
  EXPECT_THAT(Decode(ToJson(fields)),
              IsRejection(RejectKind::kNotJson, HasSubstr("(field \"extra\")")));
  fields.back().second = "{1 2}";
  EXPECT_THAT(Decode(ToJson(fields)),
              IsRejection(RejectKind::kNotJson, HasSubstr("(field \"extra\")")));
}

TEST_F(EventDecoderTest, RejectsDeeplyNestedUnknownField) {
  RawFields fields = FullFields();
  fields.emplace_back("extra", std::string(100, '[') + std::string(100, ']'));
  EXPECT_THAT(Decode(ToJson(fields)),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: DEPTH_ERROR: ")));
  fields.back().second = std::string(20, '[') + std::string(20, ']');
  EXPECT_EQ(Decode(ToJson(fields)), std::nullopt);
}

TEST_F(EventDecoderTest, RejectsTopLevelArray) {
  EXPECT_THAT(Decode(R"([{"PassengerId":1,"Pclass":3,"Sex":"male"}])"),
              IsRejection(RejectKind::kNotObject, "expected a JSON object, got array"));
}

TEST_F(EventDecoderTest, RejectsTopLevelScalars) {
  EXPECT_THAT(Decode("42"),
              IsRejection(RejectKind::kNotObject, "expected a JSON object, got number"));
  EXPECT_THAT(Decode("null"),
              IsRejection(RejectKind::kNotObject, "expected a JSON object, got null"));
  EXPECT_THAT(Decode(R"("male")"),
              IsRejection(RejectKind::kNotObject, "expected a JSON object, got string"));
  EXPECT_THAT(Decode("true"),
              IsRejection(RejectKind::kNotObject, "expected a JSON object, got boolean"));
}

TEST_F(EventDecoderTest, RejectsBrokenTopLevelValueAsNotJson) {
  EXPECT_THAT(Decode("[1,2"), IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: ")));
  EXPECT_THAT(Decode("[1,,2]"), IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: ")));
  EXPECT_THAT(Decode(R"("male" x)"),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: ")));
  EXPECT_THAT(Decode("nul"), IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: ")));
}

// ---- Wrong types ------------------------------------------------------------

TEST_F(EventDecoderTest, RejectsAgeOfWrongType) {
  EXPECT_THAT(Decode(FullEventWith("Age", R"("22")")),
              IsRejection(RejectKind::kWrongType, "Age: expected number or null, got string"));
}

TEST_F(EventDecoderTest, RejectsPclassAsString) {
  EXPECT_THAT(Decode(FullEventWith("Pclass", R"("3")")),
              IsRejection(RejectKind::kWrongType, "Pclass: expected integer, got string"));
}

TEST_F(EventDecoderTest, RejectsFractionalPclass) {
  EXPECT_THAT(Decode(FullEventWith("Pclass", "2.5")),
              IsRejection(RejectKind::kWrongType, "Pclass: expected integer, got 2.5"));
}

TEST_F(EventDecoderTest, RejectsNullPassengerId) {
  EXPECT_THAT(Decode(FullEventWith("PassengerId", "null")),
              IsRejection(RejectKind::kWrongType, "PassengerId: expected integer, got null"));
}

TEST_F(EventDecoderTest, RejectsSexAsNumber) {
  EXPECT_THAT(Decode(FullEventWith("Sex", "1")),
              IsRejection(RejectKind::kWrongType, "Sex: expected string, got number"));
}

TEST_F(EventDecoderTest, RejectsFractionalSibSp) {
  EXPECT_THAT(Decode(FullEventWith("SibSp", "1.5")),
              IsRejection(RejectKind::kWrongType, "SibSp: expected integer or null, got 1.5"));
}

TEST_F(EventDecoderTest, RejectsSurvivedAsBoolean) {
  EXPECT_THAT(
      Decode(FullEventWith("Survived", "true")),
      IsRejection(RejectKind::kWrongType, "Survived: expected integer or null, got boolean"));
}

TEST_F(EventDecoderTest, RejectsNameAsNumber) {
  EXPECT_THAT(Decode(FullEventWith("Name", "42")),
              IsRejection(RejectKind::kWrongType, "Name: expected string or null, got number"));
}

TEST_F(EventDecoderTest, RejectsEmbarkedAsNumber) {
  EXPECT_THAT(Decode(FullEventWith("Embarked", "1")),
              IsRejection(RejectKind::kWrongType, "Embarked: expected string or null, got number"));
}

TEST_F(EventDecoderTest, RejectsEveryFieldOfWrongType) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"PassengerId", "PassengerId: expected integer, got string"},
      {"Pclass", "Pclass: expected integer, got string"},
      {"Sex", "Sex: expected string, got array"},
      {"Age", "Age: expected number or null, got string"},
      {"SibSp", "SibSp: expected integer or null, got string"},
      {"Parch", "Parch: expected integer or null, got string"},
      {"Fare", "Fare: expected number or null, got string"},
      {"Name", "Name: expected string or null, got array"},
      {"Ticket", "Ticket: expected string or null, got array"},
      {"Cabin", "Cabin: expected string or null, got array"},
      {"Embarked", "Embarked: expected string or null, got array"},
      {"Survived", "Survived: expected integer or null, got string"},
      {"ts", "ts: expected integer or null, got string"},
  };
  for (const auto& [field, reason] : cases) {
    SCOPED_TRACE(field);
    // Strings for numeric fields, arrays for string fields.
    const bool string_field = reason.find("expected string") != std::string::npos;
    EXPECT_THAT(Decode(FullEventWith(field, string_field ? R"(["x"])" : R"("1")")),
                IsRejection(RejectKind::kWrongType, reason));
  }
}

// ---- Out of range -----------------------------------------------------------

TEST_F(EventDecoderTest, RejectsOutOfRangeValues) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"Pclass", "4", "Pclass: expected 1, 2 or 3, got 4"},
      {"Pclass", "0", "Pclass: expected 1, 2 or 3, got 0"},
      {"Age", "-1", "Age: expected 0 to 120 or null, got -1"},
      {"Age", "121", "Age: expected 0 to 120 or null, got 121"},
      {"SibSp", "-1", "SibSp: expected integer >= 0 or null, got -1"},
      {"Parch", "-2", "Parch: expected integer >= 0 or null, got -2"},
      {"Fare", "-0.01", "Fare: expected number >= 0 or null, got -0.01"},
      {"Survived", "2", "Survived: expected 0, 1 or null, got 2"},
      {"Sex", R"("x")", R"(Sex: expected "male" or "female", got "x")"},
      {"Sex", R"("Male")", R"(Sex: expected "male" or "female", got "Male")"},
      {"Embarked", R"("X")", R"(Embarked: expected "S", "C", "Q" or null, got "X")"},
      {"Embarked", R"("SC")", R"(Embarked: expected "S", "C", "Q" or null, got "SC")"},
      {"Embarked", R"("")", R"(Embarked: expected "S", "C", "Q" or null, got "")"},
      {"PassengerId", "0", "PassengerId: expected integer >= 1, got 0"},
      {"ts", "-5", "ts: expected integer >= 0 (ms), got -5"},
  };
  for (const auto& [field, raw, reason] : cases) {
    SCOPED_TRACE(field + " = " + raw);
    EXPECT_THAT(Decode(FullEventWith(field, raw)), IsRejection(RejectKind::kOutOfRange, reason));
  }
}

// Reasons are one line of text for logs and DLQ headers: an Embarked
// written as an escape ("\u0000", "\u001b", a quote) is shown escaped.
TEST_F(EventDecoderTest, ShowsAnEmbarkedThatIsNotPrintableEscaped) {
  const std::string expected = R"(Embarked: expected "S", "C", "Q" or null, got )";
  EXPECT_THAT(Decode(FullEventWith("Embarked", R"("\u0000")")),
              IsRejection(RejectKind::kOutOfRange, expected + R"("\x00")"));
  EXPECT_THAT(Decode(FullEventWith("Embarked", R"("\u001b")")),
              IsRejection(RejectKind::kOutOfRange, expected + R"("\x1b")"));
  EXPECT_THAT(Decode(FullEventWith("Embarked", R"("\u007f")")),
              IsRejection(RejectKind::kOutOfRange, expected + R"("\x7f")"));
  EXPECT_THAT(Decode(FullEventWith("Embarked", R"("\"")")),
              IsRejection(RejectKind::kOutOfRange, expected + R"("\"")"));
}

TEST_F(EventDecoderTest, RejectsNumberTooLargeForADouble) {
  EXPECT_THAT(Decode(FullEventWith("Fare", "1e400")),
              IsRejection(RejectKind::kOutOfRange, "Fare: 1e400 is out of range"));
}

TEST_F(EventDecoderTest, RejectsIntegersThatOverflow) {
  EXPECT_THAT(
      Decode(FullEventWith("PassengerId", "99999999999999999999")),
      IsRejection(RejectKind::kOutOfRange, "PassengerId: 99999999999999999999 is out of range"));
  EXPECT_THAT(Decode(FullEventWith("ts", "9223372036854775808")),
              IsRejection(RejectKind::kOutOfRange, "ts: 9223372036854775808 is out of range"));
  EXPECT_THAT(Decode(FullEventWith("SibSp", "3000000000")),
              IsRejection(RejectKind::kOutOfRange, "SibSp: 3000000000 is out of range"));
  EXPECT_THAT(Decode(FullEventWith("PassengerId", "1e300")),
              IsRejection(RejectKind::kOutOfRange, "PassengerId: 1e300 is out of range"));
}

TEST_F(EventDecoderTest, ShortensLongNumbersInReasons) {
  const std::string digits(60, '9');
  EXPECT_THAT(Decode(FullEventWith("PassengerId", digits)),
              IsRejection(RejectKind::kOutOfRange,
                          "PassengerId: " + std::string(40, '9') + "... is out of range"));
  // The whole token is checked, not just the part that is quoted.
  EXPECT_THAT(Decode(FullEventWith("PassengerId", digits + "x")),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: NUMBER_ERROR: ")));
}

TEST_F(EventDecoderTest, QuotesLongBadValuesShortenedOnOneLine) {
  const std::string sex = "\"" + std::string(100, 'y') + "\\n\"";
  EXPECT_THAT(Decode(FullEventWith("Sex", sex)),
              IsRejection(RejectKind::kOutOfRange, "Sex: expected \"male\" or \"female\", got \"" +
                                                       std::string(40, 'y') + "\"..."));
}

// ---- Required and duplicate fields -----------------------------------------

TEST_F(EventDecoderTest, RejectsMissingPassengerId) {
  EXPECT_THAT(Decode(FullEventWithout("PassengerId")),
              IsRejection(RejectKind::kMissingField, "PassengerId: required field missing"));
}

TEST_F(EventDecoderTest, RejectsMissingPclass) {
  EXPECT_THAT(Decode(FullEventWithout("Pclass")),
              IsRejection(RejectKind::kMissingField, "Pclass: required field missing"));
}

TEST_F(EventDecoderTest, RejectsMissingSex) {
  EXPECT_THAT(Decode(FullEventWithout("Sex")),
              IsRejection(RejectKind::kMissingField, "Sex: required field missing"));
}

TEST_F(EventDecoderTest, ReportsPassengerIdFirstWhenAllRequiredFieldsAreMissing) {
  EXPECT_THAT(Decode("{}"),
              IsRejection(RejectKind::kMissingField, "PassengerId: required field missing"));
}

TEST_F(EventDecoderTest, RejectsDuplicateField) {
  RawFields fields = FullFields();
  fields.emplace_back("Age", "23");
  EXPECT_THAT(Decode(ToJson(fields)),
              IsRejection(RejectKind::kDuplicateField, "Age: duplicate field"));
}

TEST_F(EventDecoderTest, RejectsDuplicateFieldEvenWhenNull) {
  RawFields fields = FullFields();
  fields.emplace_back("Cabin", "null");
  EXPECT_THAT(Decode(ToJson(fields)),
              IsRejection(RejectKind::kDuplicateField, "Cabin: duplicate field"));
}

TEST_F(EventDecoderTest, RecoversAfterARejectedEvent) {
  ASSERT_TRUE(Decode("hello").has_value());
  ASSERT_TRUE(Decode(FullEventWith("Age", R"("x")")).has_value());
  ASSERT_EQ(Decode(ToJson(FullFields())), std::nullopt);
  EXPECT_EQ(event_, FullEvent());
}

// ---- Plain events and the general decoder -----------------------------------
//
// The decoder reads plain events (the shape EncodeEvent writes) in one pass
// and leaves everything else to its general, simdjson-based path. These pin
// down the edges between the two: both must give the same results.

TEST_F(EventDecoderTest, DecodesGeneratedEventsAsEncoded) {
  auto source = MakeGeneratorSource({.seed = 3});
  for (int i = 0; i < 2000; ++i) {
    PassengerEvent e;
    ASSERT_TRUE(source->Next(&e).value());
    if (i % 2 == 0) e.ts_ms = 1700000000000 + i;
    std::string json;
    EncodeEvent(e, &json);
    SCOPED_TRACE(json);
    ASSERT_EQ(Decode(json), std::nullopt);
    ASSERT_EQ(event_, e);
  }
}

TEST_F(EventDecoderTest, DecodesFieldsInAnyOrder) {
  RawFields fields = FullFields();
  std::reverse(fields.begin(), fields.end());
  ASSERT_EQ(Decode(ToJson(fields)), std::nullopt);
  EXPECT_EQ(event_, FullEvent());
  std::swap(fields[0], fields[5]);
  ASSERT_EQ(Decode(ToJson(fields)), std::nullopt);
  EXPECT_EQ(event_, FullEvent());
}

TEST_F(EventDecoderTest, MatchesKeysWrittenWithEscapes) {
  RawFields fields = FullFields();
  for (auto& [name, raw] : fields) {
    if (name == "Pclass") name = R"(Pcl\u0061ss)";
  }
  ASSERT_EQ(Decode(ToJson(fields)), std::nullopt);
  EXPECT_EQ(event_, FullEvent());
  fields.emplace_back(R"(P\u0063lass)", "3");
  EXPECT_THAT(Decode(ToJson(fields)),
              IsRejection(RejectKind::kDuplicateField, "Pclass: duplicate field"));
}

TEST_F(EventDecoderTest, DecodesNumbersOfManyDigitsOrWithExponents) {
  ASSERT_EQ(Decode(FullEventWith("Fare", "0.30000000000000004")), std::nullopt);
  EXPECT_EQ(event_.fare, 0.1 + 0.2);
  ASSERT_EQ(Decode(FullEventWith("Fare", "123456789.012345678")), std::nullopt);
  EXPECT_EQ(event_.fare, 123456789.012345678);
  ASSERT_EQ(Decode(FullEventWith("Age", "2.2e1")), std::nullopt);
  EXPECT_EQ(event_.age, 22.0);
  ASSERT_EQ(Decode(FullEventWith("Age", "-0.0")), std::nullopt);
  EXPECT_EQ(event_.age, 0.0);
  ASSERT_EQ(Decode(FullEventWith("PassengerId", "999999999999999999")), std::nullopt);
  EXPECT_EQ(event_.passenger_id, 999999999999999999);
  ASSERT_EQ(Decode(FullEventWith("PassengerId", "9223372036854775807")), std::nullopt);
  EXPECT_EQ(event_.passenger_id, 9223372036854775807);
}

TEST_F(EventDecoderTest, DecodesStringsWithControlEscapesAndNonAscii) {
  ASSERT_EQ(Decode(FullEventWith("Ticket", R"("A\t5")")), std::nullopt);
  EXPECT_EQ(event_.ticket, "A\t5");
  ASSERT_EQ(Decode(FullEventWith("Name", "\"Zo\u00eb\"")), std::nullopt);
  EXPECT_EQ(event_.name, "Zo\u00eb");
  ASSERT_EQ(Decode(FullEventWith("Cabin", "\"\x7f\"")), std::nullopt);
  EXPECT_EQ(event_.cabin, "\x7f");
}

TEST_F(EventDecoderTest, RejectsUnescapedControlCharacterInString) {
  EXPECT_THAT(Decode(FullEventWith("Ticket", "\"A\t5\"")),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: UNESCAPED_CHARS: ")));
}

TEST_F(EventDecoderTest, RejectsTrailingComma) {
  EXPECT_THAT(Decode(R"({"PassengerId":7,"Pclass":1,"Sex":"female",})"),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: ")));
}

TEST_F(EventDecoderTest, RejectsValueAfterTheObject) {
  EXPECT_THAT(Decode(ToJson(FullFields()) + " 1"),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: ")));
  EXPECT_THAT(Decode(ToJson(FullFields()) + std::string(1, '\0')),
              IsRejection(RejectKind::kNotJson, StartsWith("not valid JSON: ")));
}

// simdjson's SIMD kernels check UTF-8 while indexing the document, its
// fallback kernel only inside strings; the decoder must find invalid UTF-8
// anywhere with each of them.
TEST(EventDecoderKernelTest, RejectsInvalidUtf8OutsideStringsWithEveryKernel) {
  const simdjson::implementation* active = simdjson::get_active_implementation();
  const std::string event = ToJson(FullFields());
  for (const simdjson::implementation* kernel : simdjson::get_available_implementations()) {
    if (!kernel->supported_by_runtime_system()) continue;
    SCOPED_TRACE(kernel->name());
    simdjson::get_active_implementation() = kernel;
    EventDecoder decoder;
    PassengerEvent e;
    EXPECT_THAT(decoder.Decode(event + " \xFF", &e),
                IsRejection(RejectKind::kInvalidUtf8,
                            "invalid UTF-8 at byte " + std::to_string(event.size() + 1)));
    EXPECT_THAT(decoder.Decode("\xC3" + event, &e),
                IsRejection(RejectKind::kInvalidUtf8, "invalid UTF-8 at byte 0"));
    EXPECT_EQ(decoder.Decode(event, &e), std::nullopt);
    EXPECT_EQ(e, FullEvent());
  }
  simdjson::get_active_implementation() = active;
}

TEST_F(EventDecoderTest, DecodesPlainEventsAfterManyThatAreNot) {
  // Events that are not plain (here: an unknown field) make the decoder
  // skip its plain path for a while; results never depend on it.
  RawFields with_extra = FullFields();
  with_extra.emplace_back("Sex_enc", "1");
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(Decode(ToJson(with_extra)), std::nullopt);
    ASSERT_EQ(event_, FullEvent());
  }
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(Decode(kMinimalEvent), std::nullopt);
    ASSERT_EQ(event_.name, std::nullopt);
    ASSERT_EQ(Decode(ToJson(FullFields())), std::nullopt);
    ASSERT_EQ(event_, FullEvent());
  }
}

// ---- Encoding ---------------------------------------------------------------

TEST(EventEncoderTest, EncodesCompactJsonInKaggleColumnOrder) {
  std::string json;
  EncodeEvent(FullEvent(), &json);
  EXPECT_EQ(json, R"({"PassengerId":1,"Survived":0,"Pclass":3,"Name":"Braund, Mr. Owen Harris",)"
                  R"("Sex":"male","Age":22,"SibSp":1,"Parch":0,"Ticket":"A/5 21171","Fare":7.25,)"
                  R"("Cabin":null,"Embarked":"S","ts":1700000000000})");
}

TEST(EventEncoderTest, EncodesAbsentFieldsAsNullAndOmitsTs) {
  PassengerEvent e;
  e.passenger_id = 7;
  e.pclass = 1;
  e.sex = Sex::kFemale;
  std::string json;
  EncodeEvent(e, &json);
  EXPECT_EQ(json, R"({"PassengerId":7,"Survived":null,"Pclass":1,"Name":null,"Sex":"female",)"
                  R"("Age":null,"SibSp":null,"Parch":null,"Ticket":null,"Fare":null,"Cabin":null,)"
                  R"("Embarked":null})");
}

TEST(EventEncoderTest, AppendsToExistingContent) {
  std::string out = "key=";
  EncodeEvent(FullEvent(), &out);
  EXPECT_THAT(out, StartsWith(R"(key={"PassengerId":1,)"));
}

TEST(EventEncoderTest, DecodeOfEncodeIsIdentity) {
  std::vector<PassengerEvent> events;
  events.push_back(FullEvent());
  PassengerEvent minimal;  // only the required fields
  minimal.passenger_id = 7;
  minimal.pclass = 1;
  minimal.sex = Sex::kFemale;
  events.push_back(minimal);
  PassengerEvent tricky = FullEvent();
  tricky.name = "O'Brien, Mrs. \"Molly\" (Back\\slash), Zo\u00eb \u6771\u4eac \U0001F6A2";
  tricky.age = 0.42;
  tricky.fare = 512.3292;
  tricky.cabin = "C23 C25 C27";
  tricky.embarked = 'Q';
  tricky.survived = 1;
  tricky.ts_ms = std::nullopt;
  events.push_back(tricky);
  PassengerEvent awkward_numbers = FullEvent();
  awkward_numbers.passenger_id = 9007199254740993;  // not exact as a double
  awkward_numbers.age = 0.1 + 0.2;
  awkward_numbers.fare = 1.0 / 3.0;
  awkward_numbers.ts_ms = 0;
  awkward_numbers.ticket = "control\x01\x1f\t\n\r\b\f chars";
  awkward_numbers.embarked = 'C';
  events.push_back(awkward_numbers);

  EventDecoder decoder;
  for (const PassengerEvent& e : events) {
    std::string json;
    EncodeEvent(e, &json);
    SCOPED_TRACE(json);
    PassengerEvent decoded;
    ASSERT_EQ(decoder.Decode(json, &decoded), std::nullopt);
    EXPECT_EQ(decoded, e);
  }
}

TEST(AppendJsonStringTest, EscapesQuotesBackslashesAndControlCharacters) {
  static constexpr char kRaw[] = "a\"b\\c\n\t\r\b\f\x01\x1f\0d";
  std::string out;
  kappa::AppendJsonString(std::string_view(kRaw, sizeof kRaw - 1), &out);
  EXPECT_EQ(out, R"("a\"b\\c\n\t\r\b\f\u0001\u001f\u0000d")");
}

TEST(AppendJsonStringTest, PassesUtf8Through) {
  std::string out;
  kappa::AppendJsonString("Zo\u00eb \U0001F6A2 /", &out);
  EXPECT_EQ(out, "\"Zo\u00eb \U0001F6A2 /\"");
}

TEST(AppendJsonStringTest, EncodesEmptyString) {
  std::string out = "x";
  kappa::AppendJsonString("", &out);
  EXPECT_EQ(out, "x\"\"");
}

}  // namespace
}  // namespace kappa::stream
