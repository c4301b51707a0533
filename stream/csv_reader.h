// PassengerCsvReader: reads passengers from a Kaggle Titanic CSV file
// (train.csv, or test.csv which has no Survived column).
//
// RFC 4180: comma-separated, fields optionally quoted, "" inside quotes is a
// quote, quoted fields may contain commas and line breaks, CRLF or LF line
// ends. The header row maps columns by name (any order; unknown columns are
// ignored); PassengerId, Pclass and Sex are required columns. An empty field
// is null. Values are parsed (fractional ages such as 0.42 are fine; text
// must be UTF-8, as in the JSON contract) and then checked with
// CheckRanges(), the same rules as the JSON decoder.
//
// Not thread-safe. The reader owns its std::istream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/status.h"
#include "stream/passenger_event.h"

namespace kappa::stream {

// One row that could not be turned into a valid event.
struct CsvRowError {
  int64_t line = 0;    // 1-based physical line where the row starts
  std::string reason;  // e.g. "Pclass: expected 1, 2 or 3, got 4"
};

class PassengerCsvReader {
 public:
  // Opens `path` and reads its header. Errors: NotFound/IoError when the file
  // cannot be read, InvalidArgument when the header lacks a required column.
  static Result<std::unique_ptr<PassengerCsvReader>> Open(const std::string& path);
  // Same, over an already-open stream (tests); `source_name` is used in errors.
  static Result<std::unique_ptr<PassengerCsvReader>> FromStream(std::unique_ptr<std::istream> in,
                                                                std::string source_name);

  // Reads the next row. Returns:
  //  - an event, when the row is valid;
  //  - a CsvRowError, when the row is malformed (wrong field count,
  //    unterminated quote, unparsable or out-of-range value, text that is
  //    not UTF-8); reading can
  //    continue with the next row;
  //  - std::monostate at end of file.
  // Blank lines are skipped. IoError only if the stream itself fails.
  using Row = std::variant<std::monostate, PassengerEvent, CsvRowError>;
  Result<Row> Next();

  // Restarts from the first data row (for --loop).
  Status Rewind();

  const std::string& source_name() const { return source_name_; }

 private:
  // Where each known column sits in a row; nullopt when the header lacks it.
  struct Columns {
    std::vector<std::string> names;  // the header row; its size is the fields per row
    std::optional<size_t> passenger_id, survived, pclass, name, sex, age, sib_sp, parch, ticket,
        fare, cabin, embarked;
  };
  // One logical row as split from the input, before its values are parsed.
  struct Record {
    int64_t line = 0;  // physical line where the row starts
    std::vector<std::string> fields;
    std::optional<std::string> syntax_error;  // e.g. an unterminated quote
    size_t syntax_error_field = 0;            // index of the field it is in
  };

  PassengerCsvReader(std::unique_ptr<std::istream> in, std::string source_name);
  Status ReadHeader();
  // Reads the next non-blank row into *record. false at end of input.
  Result<bool> ReadRecord(Record* record);
  Row ToRow(const Record& record) const;

  std::unique_ptr<std::istream> in_;
  std::string source_name_;
  Columns columns_;
  Record record_;  // reused across Next() calls
  std::string line_buf_;
  std::streampos data_start_{};  // stream position of the first data row
  int64_t line_ = 0;             // physical lines consumed so far
  int64_t data_start_line_ = 0;  // line_ when positioned at data_start_
};

}  // namespace kappa::stream
