#include "inference/alert.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace kappa::inference {
namespace {

stream::PassengerEvent Passenger() {
  stream::PassengerEvent e;
  e.passenger_id = 42;
  e.pclass = 1;
  e.sex = stream::Sex::kFemale;
  e.name = "O'Brien, Mrs. \"Molly\"\\ \u00e9";
  e.ts_ms = 1700000000123;
  return e;
}

TEST(AlertTest, EncodesEveryFieldInDesignOrder) {
  const stream::PassengerEvent e = Passenger();
  std::string out = "prefix:";
  EncodeAlert({.event = &e,
               .probability = 0.75,
               .model_version = 3,
               .feature_set = "titanic-v1",
               .partition = 7,
               .offset = 123456789012,
               .scored_at_ms = 1700000000999},
              &out);
  EXPECT_EQ(out,
            "prefix:"
            R"({"PassengerId":42,"survived":1,"probability":0.75,"model_version":3,)"
            R"("feature_set":"titanic-v1","partition":7,"offset":123456789012,)"
            R"("scored_at":1700000000999,"event_ts":1700000000123,)"
            R"("Name":"O'Brien, Mrs. \"Molly\"\\ )"
            "\u00e9"
            R"(","Pclass":1,"Sex":"female"})");
}

TEST(AlertTest, AbsentOptionalFieldsAreNullAndTheResultParses) {
  stream::PassengerEvent e = Passenger();
  e.name.reset();
  e.ts_ms.reset();
  e.sex = stream::Sex::kMale;
  std::string out;
  EncodeAlert({.event = &e, .probability = 0.5f, .model_version = 1, .feature_set = "v"}, &out);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(out).get(doc), simdjson::SUCCESS) << out;
  EXPECT_TRUE(doc["Name"].is_null());
  EXPECT_TRUE(doc["event_ts"].is_null());
  EXPECT_EQ(doc["Sex"].get_string().value(), "male");
  EXPECT_EQ(doc["probability"].get_double().value(), 0.5);
  EXPECT_EQ(doc["PassengerId"].get_int64().value(), 42);
}

}  // namespace
}  // namespace kappa::inference
