#include "stream/csv_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace kappa::stream {
namespace {

using ::testing::HasSubstr;
using namespace std::string_literals;

constexpr char kTrainHeader[] =
    "PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n";

std::string DataPath(const std::string& file) {
  return std::string(KAPPA_TEST_DATA_DIR) + "/" + file;
}

std::unique_ptr<PassengerCsvReader> OpenOrDie(const std::string& path) {
  auto reader = PassengerCsvReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  return reader.ok() ? std::move(reader).value() : nullptr;
}

Result<std::unique_ptr<PassengerCsvReader>> FromText(const std::string& text) {
  return PassengerCsvReader::FromStream(std::make_unique<std::istringstream>(text), "inline.csv");
}

std::unique_ptr<PassengerCsvReader> FromTextOrDie(const std::string& text) {
  auto reader = FromText(text);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  return reader.ok() ? std::move(reader).value() : nullptr;
}

// Everything a reader yields until end of file, in order.
struct ReadAll {
  std::vector<PassengerEvent> events;
  std::vector<CsvRowError> errors;
  std::vector<bool> is_error;  // per row, in input order
};

ReadAll Drain(PassengerCsvReader& reader) {
  ReadAll all;
  for (int guard = 0; guard < 10000; ++guard) {
    Result<PassengerCsvReader::Row> row = reader.Next();
    if (!row.ok()) {
      ADD_FAILURE() << row.status().ToString();
      break;
    }
    if (std::holds_alternative<std::monostate>(row.value())) break;
    if (auto* event = std::get_if<PassengerEvent>(&row.value())) {
      all.events.push_back(*event);
      all.is_error.push_back(false);
    } else {
      all.errors.push_back(std::get<CsvRowError>(row.value()));
      all.is_error.push_back(true);
    }
  }
  return all;
}

const PassengerEvent* FindId(const std::vector<PassengerEvent>& events, int64_t id) {
  for (const PassengerEvent& e : events) {
    if (e.passenger_id == id) return &e;
  }
  return nullptr;
}

TEST(PassengerCsvReaderTest, ReadsEveryTrainSampleRow) {
  auto reader = OpenOrDie(DataPath("kaggle_train_sample.csv"));
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  EXPECT_TRUE(all.errors.empty()) << all.errors.front().line << ": " << all.errors.front().reason;
  ASSERT_EQ(all.events.size(), 33u);
  EXPECT_EQ(all.events.front().passenger_id, 1);
  EXPECT_EQ(all.events.back().passenger_id, 891);
  for (const PassengerEvent& e : all.events) {
    EXPECT_TRUE(e.survived.has_value()) << e.passenger_id;
    EXPECT_FALSE(e.ts_ms.has_value());
  }
}

TEST(PassengerCsvReaderTest, TrainSampleValuesAreExact) {
  auto reader = OpenOrDie(DataPath("kaggle_train_sample.csv"));
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);

  PassengerEvent braund;
  braund.passenger_id = 1;
  braund.survived = 0;
  braund.pclass = 3;
  braund.name = "Braund, Mr. Owen Harris";
  braund.sex = Sex::kMale;
  braund.age = 22.0;
  braund.sib_sp = 1;
  braund.parch = 0;
  braund.ticket = "A/5 21171";
  braund.fare = 7.25;
  braund.embarked = 'S';
  const PassengerEvent* e = FindId(all.events, 1);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(*e, braund);

  PassengerEvent cumings;
  cumings.passenger_id = 2;
  cumings.survived = 1;
  cumings.pclass = 1;
  cumings.name = "Cumings, Mrs. John Bradley (Florence Briggs Thayer)";
  cumings.sex = Sex::kFemale;
  cumings.age = 38.0;
  cumings.sib_sp = 1;
  cumings.parch = 0;
  cumings.ticket = "PC 17599";
  cumings.fare = 71.2833;
  cumings.cabin = "C85";
  cumings.embarked = 'C';
  e = FindId(all.events, 2);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(*e, cumings);

  e = FindId(all.events, 6);  // Moran: no age
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->age.has_value());
  EXPECT_EQ(e->fare, 8.4583);
  EXPECT_EQ(e->embarked, 'Q');

  e = FindId(all.events, 79);  // Caldwell: fractional age
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->age, 0.83);
  EXPECT_EQ(e->parch, 2);

  e = FindId(all.events, 804);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->age, 0.42);

  e = FindId(all.events, 889);  // Johnston: doubled quotes, no age
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->name, "Johnston, Miss. Catherine Helen \"Carrie\"");
  EXPECT_FALSE(e->age.has_value());
  EXPECT_EQ(e->ticket, "W./C. 6607");
  EXPECT_EQ(e->fare, 23.45);
  EXPECT_FALSE(e->cabin.has_value());

  e = FindId(all.events, 23);  // a doubled quote just before the closing one
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->name, "McGowan, Miss. Anna \"Annie\"");

  e = FindId(all.events, 62);  // Icard: no port of embarkation
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->embarked.has_value());
  EXPECT_EQ(e->cabin, "B28");
  EXPECT_EQ(e->fare, 80.0);

  e = FindId(all.events, 16);  // quoted text keeps its trailing space
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->name, "Hewlett, Mrs. (Mary D Kingcome) ");

  e = FindId(all.events, 28);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->cabin, "C23 C25 C27");
  EXPECT_EQ(e->fare, 263.0);
}

TEST(PassengerCsvReaderTest, TestSampleHasNoLabelsAndCrlfLineEnds) {
  const std::string path = DataPath("kaggle_test_sample.csv");
  {
    // The fixture must really use CRLF, or this test proves nothing about it.
    std::ifstream raw(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(raw)),
                            std::istreambuf_iterator<char>());
    ASSERT_THAT(bytes, HasSubstr("Embarked\r\n892,"));
  }
  auto reader = OpenOrDie(path);
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  EXPECT_TRUE(all.errors.empty()) << all.errors.front().line << ": " << all.errors.front().reason;
  ASSERT_EQ(all.events.size(), 13u);
  for (const PassengerEvent& e : all.events) {
    EXPECT_FALSE(e.survived.has_value()) << e.passenger_id;
    ASSERT_TRUE(e.embarked.has_value()) << e.passenger_id;  // no '\r' left on the last field
  }

  PassengerEvent kelly;
  kelly.passenger_id = 892;
  kelly.pclass = 3;
  kelly.name = "Kelly, Mr. James";
  kelly.sex = Sex::kMale;
  kelly.age = 34.5;
  kelly.sib_sp = 0;
  kelly.parch = 0;
  kelly.ticket = "330911";
  kelly.fare = 7.8292;
  kelly.embarked = 'Q';
  EXPECT_EQ(all.events.front(), kelly);

  const PassengerEvent* storey = FindId(all.events, 1044);  // the one missing fare
  ASSERT_NE(storey, nullptr);
  EXPECT_FALSE(storey->fare.has_value());
  EXPECT_EQ(storey->age, 60.5);
  EXPECT_EQ(storey->embarked, 'S');
}

TEST(PassengerCsvReaderTest, MapsColumnsByNameInAnyOrderAndIgnoresUnknownOnes) {
  auto reader = FromTextOrDie(
      "Sex,Extra,Embarked,Pclass,PassengerId,Age\n"
      "female,whatever,C,1,7,0.5\n"
      "male,,,3,8,\n");
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  ASSERT_TRUE(all.errors.empty()) << all.errors.front().reason;
  ASSERT_EQ(all.events.size(), 2u);

  PassengerEvent first;
  first.passenger_id = 7;
  first.pclass = 1;
  first.sex = Sex::kFemale;
  first.age = 0.5;
  first.embarked = 'C';
  EXPECT_EQ(all.events[0], first);  // absent columns are null

  EXPECT_EQ(all.events[1].passenger_id, 8);
  EXPECT_EQ(all.events[1].sex, Sex::kMale);
  EXPECT_FALSE(all.events[1].age.has_value());
  EXPECT_FALSE(all.events[1].embarked.has_value());
}

TEST(PassengerCsvReaderTest, HeaderWithoutRequiredColumnIsInvalidArgument) {
  for (const char* missing : {"PassengerId", "Pclass", "Sex"}) {
    std::string header;
    for (const char* column : {"PassengerId", "Survived", "Pclass", "Name", "Sex", "Age"}) {
      if (std::string(column) == missing) continue;
      header += header.empty() ? "" : ",";
      header += column;
    }
    auto reader = FromText(header + "\n");
    ASSERT_FALSE(reader.ok()) << missing;
    EXPECT_EQ(reader.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(reader.status().message(),
              std::string("inline.csv: header lacks required column ") + missing);
  }
}

TEST(PassengerCsvReaderTest, EmptyInputAndDuplicateColumnsAreInvalidArgument) {
  auto empty = FromText("\n\n");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("expected a header row"));

  auto twice = FromText("PassengerId,Pclass,Sex,Age,Age\n");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(twice.status().message(), HasSubstr("Age twice"));
}

TEST(PassengerCsvReaderTest, MalformedRowsAreReportedWithLineAndReadingContinues) {
  auto reader = FromTextOrDie(std::string(kTrainHeader) +
                              "1,0,3,\"A, Mr. B\",male,22,1,0,T1,7.25,,S\n"         // line 2: ok
                              "2,1,1,\"C, Mrs. D\",female,38,1,0,T2,71.2833,C85\n"  // 3: 11 fields
                              "3,1,3,\"E, Miss. F\",female,abc,0,0,T3,7.925,,S\n"   // 4: bad Age
                              "4,1,4,\"G, Mr. H\",male,35,1,0,T4,53.1,,S\n"         // 5: Pclass 4
                              "5,0,3,\"I, Mr. J\",x,35,0,0,T5,8.05,,S\n"            // 6: Sex x
                              ",0,3,\"K, Mr. L\",male,35,0,0,T6,8.05,,S\n"          // 7: no id
                              "8,0,2,\"M, Mr. N\",male,2.5,1,0,T8,26,,X\n"          // 8: Embarked X
                              "9,0,2,\"O, Mr. P\",male,30,1.5,0,T9,26,,S\n"         // 9: SibSp 1.5
                              "10,0,3,\"Q, Mr. R\",male,30,0,0,T10,8.05,,S\n");     // 10: ok
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  ASSERT_EQ(all.events.size(), 2u);
  EXPECT_EQ(all.events[0].passenger_id, 1);
  EXPECT_EQ(all.events[1].passenger_id, 10);
  ASSERT_EQ(all.errors.size(), 7u);

  EXPECT_EQ(all.errors[0].line, 3);
  EXPECT_EQ(all.errors[0].reason, "expected 12 fields, got 11");
  EXPECT_EQ(all.errors[1].line, 4);
  EXPECT_EQ(all.errors[1].reason, "Age: expected number, got \"abc\"");
  EXPECT_EQ(all.errors[2].line, 5);
  EXPECT_EQ(all.errors[2].reason, "Pclass: expected 1, 2 or 3, got 4");
  EXPECT_EQ(all.errors[3].line, 6);
  EXPECT_EQ(all.errors[3].reason, "Sex: expected \"male\" or \"female\", got \"x\"");
  EXPECT_EQ(all.errors[4].line, 7);
  EXPECT_EQ(all.errors[4].reason, "PassengerId: required field is empty");
  EXPECT_EQ(all.errors[5].line, 8);
  EXPECT_THAT(all.errors[5].reason, HasSubstr("Embarked"));
  EXPECT_EQ(all.errors[6].line, 9);
  EXPECT_EQ(all.errors[6].reason, "SibSp: expected integer, got \"1.5\"");
}

TEST(PassengerCsvReaderTest, NumbersAreParsedStrictly) {
  for (const char* age : {" 22", "22 ", "+22", "22abc", "0x10", "nan", "inf", "1e999"}) {
    auto reader =
        FromTextOrDie(std::string("PassengerId,Pclass,Sex,Age\n1,3,male,\"") + age + "\"\n");
    ASSERT_NE(reader, nullptr);
    ReadAll all = Drain(*reader);
    ASSERT_EQ(all.errors.size(), 1u) << age;
    EXPECT_THAT(all.errors[0].reason, HasSubstr("Age: expected number")) << age;
  }
  auto reader =
      FromTextOrDie("PassengerId,Pclass,Sex,Age,Fare\n1,3,male,22,7.925\n2,3,male,1e1,0\n");
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  ASSERT_EQ(all.events.size(), 2u);
  EXPECT_EQ(all.events[0].age, 22.0);
  EXPECT_EQ(all.events[0].fare, 7.925);
  EXPECT_EQ(all.events[1].age, 10.0);
  EXPECT_EQ(all.events[1].fare, 0.0);
}

TEST(PassengerCsvReaderTest, UnterminatedQuoteAtEndOfFileIsARowError) {
  auto reader = FromTextOrDie(std::string(kTrainHeader) +
                              "1,0,3,\"A, Mr. B\",male,22,1,0,T1,7.25,,S\n"
                              "3,1,3,\"E, Miss. F\",female,26,0,0,T3,7.925,,S\n"
                              "2,1,1,\"C, Mrs. D,female,38,1,0,T2,71.2833,C85,C\n"
                              "\n"
                              "4,1,3,E F,female,26,0,0,T3,7.925,,S\n");
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  ASSERT_EQ(all.events.size(), 2u);
  ASSERT_EQ(all.errors.size(), 1u);
  EXPECT_EQ(all.errors[0].line, 4);
  EXPECT_EQ(all.errors[0].reason, "Name: unterminated quoted field at end of file");
  // End of file stays end of file.
  for (int i = 0; i < 3; ++i) {
    Result<PassengerCsvReader::Row> row = reader->Next();
    ASSERT_TRUE(row.ok());
    EXPECT_TRUE(std::holds_alternative<std::monostate>(row.value()));
  }
}

TEST(PassengerCsvReaderTest, StrayQuotesAreRowErrorsThatDoNotDesynchronize) {
  auto reader = FromTextOrDie(std::string(kTrainHeader) +
                              "1,0,3,\"A, Mr. B\"x,\"male\"y,22,1,0,T1,7.25,,S\n"
                              "2,0,3,A \"B\",male,22,1,0,T1,7.25,,S\n"
                              "3,1,3,\"E, Miss. F\",female,26,0,0,T3,7.925,,S\n");
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  ASSERT_EQ(all.errors.size(), 2u);
  EXPECT_EQ(all.errors[0].line, 2);  // the first of its two errors
  EXPECT_EQ(all.errors[0].reason, "Name: unexpected text after closing quote");
  EXPECT_EQ(all.errors[1].line, 3);
  EXPECT_EQ(all.errors[1].reason, "Name: quote inside unquoted field");
  ASSERT_EQ(all.events.size(), 1u);
  EXPECT_EQ(all.events[0].passenger_id, 3);
}

// Found by the fuzz target (fuzz/csv_reader_fuzzer.cc): a Name that is not
// UTF-8 made an event that `kappa produce` sent and every consumer then
// rejected as invalid_utf8. Text is checked here, as in the JSON contract.
TEST(PassengerCsvReaderTest, RejectsTextThatIsNotUtf8) {
  auto reader = FromTextOrDie(std::string(kTrainHeader) +
                              "1,0,3,\"Braund\xff, Mr.\",male,22,1,0,T1,7.25,,S\n"      // 2: Name
                              "2,0,3,\"Braund\",male,22,1,0,T\xc3(1,7.25,,S\n"          // 3: Ticket
                              "3,0,3,\"Braund\",male,22,1,0,T1,7.25,C\xed\xa0\x80,S\n"  // 4: Cabin
                              "4,0,3,\"Br\xc3\xa9nd \0x\",male,22,1,0,T1,7.25,,S\n"s);  // 5: ok
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  ASSERT_EQ(all.errors.size(), 3u);
  EXPECT_EQ(all.errors[0].line, 2);
  EXPECT_EQ(all.errors[0].reason, "Name: invalid UTF-8 at byte 6");
  EXPECT_EQ(all.errors[1].line, 3);
  EXPECT_EQ(all.errors[1].reason, "Ticket: invalid UTF-8 at byte 1");
  EXPECT_EQ(all.errors[2].line, 4);
  EXPECT_EQ(all.errors[2].reason, "Cabin: invalid UTF-8 at byte 1");  // a surrogate
  ASSERT_EQ(all.events.size(), 1u);
  EXPECT_EQ(all.events[0].name, std::string("Br\xc3\xa9nd \0x", 9));
}

// Found by the fuzz target: fmt's escaping copied some bytes that are not
// UTF-8 into reasons unescaped, and Embarked's reason any byte at all.
// Reasons are one line of UTF-8 text.
TEST(PassengerCsvReaderTest, ReasonsEscapeBytesThatAreNotPrintableUtf8) {
  auto reader = FromTextOrDie(std::string(kTrainHeader) +
                              "1,0,3,A,\xa0\x9b\x94\x61le,22,1,0,T1,7.25,,S\n"
                              "2,0,3,A,male,22,1,0,T1,7.25,,\xb0\n"
                              "3,0,3,A,male,22,1,0,T1,7.25,,\n\n"
                              "4,0,3,A,male,\"\x01\n\",1,0,T1,7.25,,S\n");
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  ASSERT_EQ(all.errors.size(), 3u);
  EXPECT_EQ(all.errors[0].reason, R"(Sex: expected "male" or "female", got "\xa0\x9b\x94ale")");
  EXPECT_EQ(all.errors[1].reason, R"(Embarked: expected "S", "C", "Q" or null, got "\xb0")");
  EXPECT_EQ(all.errors[2].line, 6);
  EXPECT_EQ(all.errors[2].reason, R"(Age: expected number, got "\x01\n")");
}

// The header is data too: a column name with a line break (or bytes that
// are not UTF-8) is quoted where a message names it.
TEST(PassengerCsvReaderTest, ReasonsQuoteColumnNamesThatAreNotPlainText) {
  auto reader = FromTextOrDie(
      "PassengerId,Pclass,Sex,\"Odd\nname\",\"\xff\"\n"
      "1,3,male,\"x\"y,z\n"
      "2,3,male,x,\"y\"z\n");
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  ASSERT_EQ(all.errors.size(), 2u);
  EXPECT_EQ(all.errors[0].line, 3);
  EXPECT_EQ(all.errors[0].reason, R"("Odd\nname": unexpected text after closing quote)");
  EXPECT_EQ(all.errors[1].reason, R"("\xff": unexpected text after closing quote)");
}

// The fuzz target's exact inputs for the two bugs above (also replayed by
// the fuzz_corpus.csv_reader test with all of the target's checks).
TEST(PassengerCsvReaderTest, FuzzerFoundInputsGiveOneLineUtf8Reasons) {
  const std::string corpus = std::string(KAPPA_SOURCE_DIR) + "/fuzz/corpus/csv_reader/";

  auto reader = OpenOrDie(corpus + "regression-name-not-utf8.csv");
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  ASSERT_EQ(all.errors.size(), 1u);
  EXPECT_EQ(all.errors[0].line, 3);
  EXPECT_EQ(all.errors[0].reason, "Name: invalid UTF-8 at byte 31");
  EXPECT_EQ(all.events.size(), 4u);

  reader = OpenOrDie(corpus + "regression-reason-not-utf8.csv");
  ASSERT_NE(reader, nullptr);
  all = Drain(*reader);
  ASSERT_EQ(all.errors.size(), 3u);
  EXPECT_EQ(all.errors[2].line, 5);
  EXPECT_EQ(all.errors[2].reason, R"(Sex: expected "male" or "female", got "\xa0\x9b\x94ale")");

  reader = OpenOrDie(corpus + "regression-embarked-byte.csv");
  ASSERT_NE(reader, nullptr);
  all = Drain(*reader);
  ASSERT_GE(all.errors.size(), 1u);
  EXPECT_EQ(all.errors[0].line, 5);
  EXPECT_EQ(all.errors[0].reason, R"(Embarked: expected "S", "C", "Q" or null, got "\xb0")");
  for (const CsvRowError& error : all.errors) {
    EXPECT_EQ(error.reason.find_first_of("\n\r"), std::string::npos) << error.reason;
  }
}

TEST(PassengerCsvReaderTest, QuotedNewlinesAndBlankLinesKeepLineNumbersRight) {
  auto reader =
      FromTextOrDie(std::string(kTrainHeader) +
                    "1,0,3,\"Braund,\nMr. Owen\r\nHarris\",male,22,1,0,T1,7.25,,S\n"  // 2-4
                    "\n"                                                              // 5
                    "\r\n"                                                            // 6
                    "2,1,4,\"C, Mrs. D\",female,38,1,0,T2,71.2833,C85,C\n"            // 7
                    "3,1,3,\"E, Miss. F\",female,26,0,0,T3,7.925,,S");                // 8, no EOL
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  ASSERT_EQ(all.events.size(), 2u);
  EXPECT_EQ(all.events[0].name, "Braund,\nMr. Owen\r\nHarris");  // kept byte for byte
  EXPECT_EQ(all.events[0].embarked, 'S');
  EXPECT_EQ(all.events[1].passenger_id, 3);
  EXPECT_EQ(all.events[1].embarked, 'S');
  ASSERT_EQ(all.errors.size(), 1u);
  EXPECT_EQ(all.errors[0].line, 7);
  EXPECT_THAT(all.errors[0].reason, HasSubstr("Pclass"));
}

TEST(PassengerCsvReaderTest, SkipsUtf8ByteOrderMark) {
  auto reader = FromTextOrDie("\xEF\xBB\xBFPassengerId,Pclass,Sex\r\n1,2,female\r\n");
  ASSERT_NE(reader, nullptr);
  ReadAll all = Drain(*reader);
  ASSERT_TRUE(all.errors.empty()) << all.errors.front().reason;
  ASSERT_EQ(all.events.size(), 1u);
  EXPECT_EQ(all.events[0].passenger_id, 1);
  EXPECT_EQ(all.events[0].pclass, 2);
  EXPECT_EQ(all.events[0].sex, Sex::kFemale);
}

TEST(PassengerCsvReaderTest, RewindYieldsTheSameRowsAndLineNumbersAgain) {
  auto reader = OpenOrDie(DataPath("kaggle_train_sample.csv"));
  ASSERT_NE(reader, nullptr);
  ReadAll first = Drain(*reader);
  ASSERT_TRUE(reader->Rewind().ok());
  ReadAll second = Drain(*reader);
  EXPECT_EQ(first.events, second.events);
  EXPECT_EQ(second.events.size(), 33u);

  // Mid-file rewind, and line numbers restart at the first data row.
  auto inline_reader = FromTextOrDie(std::string(kTrainHeader) +
                                     "1,0,3,\"A, Mr. B\",male,22,1,0,T1,7.25,,S\n"
                                     "2,0,9,\"A, Mr. B\",male,22,1,0,T1,7.25,,S\n");
  ASSERT_NE(inline_reader, nullptr);
  Result<PassengerCsvReader::Row> row = inline_reader->Next();
  ASSERT_TRUE(row.ok());
  ASSERT_TRUE(inline_reader->Rewind().ok());
  ReadAll again = Drain(*inline_reader);
  ASSERT_EQ(again.events.size(), 1u);
  ASSERT_EQ(again.errors.size(), 1u);
  EXPECT_EQ(again.errors[0].line, 3);
}

TEST(PassengerCsvReaderTest, HeaderOnlyFileHasNoRowsAndRewinds) {
  auto reader = FromTextOrDie("PassengerId,Pclass,Sex");
  ASSERT_NE(reader, nullptr);
  EXPECT_TRUE(Drain(*reader).is_error.empty());
  ASSERT_TRUE(reader->Rewind().ok());
  EXPECT_TRUE(Drain(*reader).is_error.empty());
}

TEST(PassengerCsvReaderTest, OpenMissingFileNamesThePath) {
  const std::string path = DataPath("no_such_file.csv");
  auto reader = PassengerCsvReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_TRUE(reader.status().code() == StatusCode::kNotFound ||
              reader.status().code() == StatusCode::kIoError)
      << reader.status().ToString();
  EXPECT_THAT(reader.status().message(), HasSubstr(path));
}

TEST(PassengerCsvReaderTest, OpenDirectoryIsIoError) {
  auto reader = PassengerCsvReader::Open(KAPPA_TEST_DATA_DIR);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kIoError);
  EXPECT_THAT(reader.status().message(), HasSubstr(KAPPA_TEST_DATA_DIR));
}

}  // namespace
}  // namespace kappa::stream
