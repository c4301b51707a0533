#include "stream/csv_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>
#include <utility>

#include "stream/utf8.h"

namespace kappa::stream {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// Values quoted in error messages are cut to this many bytes, so a runaway
// field (e.g. everything after a stray quote) still gives a one-line reason.
constexpr size_t kMaxQuotedValue = 40;

using FieldError = std::optional<std::string>;

// Splits one row into fields, a physical line at a time, so that a quoted
// field may span lines. After a syntax error it keeps going by the same
// rules, so the row still ends where RFC 4180 says and the next row is read
// from the right place.
class RowSplitter {
 public:
  RowSplitter(std::vector<std::string>* fields, std::optional<std::string>* error,
              size_t* error_field)
      : fields_(fields), error_(error), error_field_(error_field) {
    fields_->clear();
    error_->reset();
  }

  // Consumes one physical line (without its '\n'). Returns true when the row
  // ends on this line, false when a quoted field continues on the next one.
  // Inside quotes every byte is kept, so a CRLF there stays "\r\n".
  bool AddLine(std::string_view line) {
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (in_quotes_) {
        if (c != '"') {
          field_ += c;
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          field_ += '"';
          ++i;
        } else {
          in_quotes_ = false;
          closed_ = true;
        }
      } else if (c == ',') {
        EndField();
      } else if (c == '\r' && i + 1 == line.size()) {
        // The CR of a CRLF line end.
      } else if (c == '"' && field_.empty() && !closed_) {
        in_quotes_ = true;
      } else {
        if (closed_) {
          Fail("unexpected text after closing quote");
        } else if (c == '"') {
          Fail("quote inside unquoted field");
        }
        field_ += c;
      }
    }
    if (in_quotes_) {
      field_ += '\n';
      return false;
    }
    EndField();
    return true;
  }

  // Ends the row at end of input while a quoted field is still open.
  void EndAtEof() {
    Fail("unterminated quoted field at end of file");
    field_.pop_back();  // the '\n' AddLine() added for a line that never came
    EndField();
  }

 private:
  void Fail(std::string_view what) {
    if (*error_) return;  // the first error is the one worth reporting
    *error_ = std::string(what);
    *error_field_ = fields_->size();
  }

  void EndField() {
    fields_->push_back(std::move(field_));
    field_.clear();
    in_quotes_ = false;
    closed_ = false;
  }

  std::vector<std::string>* fields_;
  std::optional<std::string>* error_;
  size_t* error_field_;
  std::string field_;
  bool in_quotes_ = false;
  bool closed_ = false;  // the current field was quoted and its quote closed
};

// `text` quoted and escaped for a one-line message, cut if long. fmt's
// escaping ({:?}) is used for the valid UTF-8 in `text` only: fmt 9 copies
// some invalid bytes (a lone continuation byte) through unescaped, so each
// byte that is not UTF-8 is written as \xNN here.
std::string Quoted(std::string_view text) {
  const bool cut = text.size() > kMaxQuotedValue;
  if (cut) text = text.substr(0, kMaxQuotedValue);
  std::string quoted = "\"";
  while (!text.empty()) {
    const size_t valid = internal::FirstInvalidUtf8(text);
    if (valid > 0) {
      const std::string escaped = fmt::format("{:?}", text.substr(0, valid));
      quoted.append(escaped, 1, escaped.size() - 2);  // without fmt's quotes
    }
    if (valid < text.size()) {
      quoted += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[valid]));
      text.remove_prefix(valid + 1);
    } else {
      text = {};
    }
  }
  quoted += cut ? "\"..." : "\"";
  return quoted;
}

// The name of column `index` for messages: its header name, else "field N".
// A name that is not short printable ASCII (the header is data too: it may
// hold line breaks or bytes that are not UTF-8) is quoted, so that messages
// stay one line of text.
std::string ColumnLabel(const std::vector<std::string>& names, size_t index) {
  if (index >= names.size() || names[index].empty()) return fmt::format("field {}", index + 1);
  const std::string& name = names[index];
  const bool plain =
      name.size() <= kMaxQuotedValue &&
      std::all_of(name.begin(), name.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
  return plain ? name : Quoted(name);
}

// The field at `column`, or "" (null) when the header lacks that column.
std::string_view FieldAt(const std::vector<std::string>& fields, std::optional<size_t> column) {
  return column ? std::string_view(fields[*column]) : std::string_view();
}

// Parses an integer strictly: the whole field, no sign prefix or spaces.
template <typename T>
FieldError ParseInt(std::string_view name, std::string_view text, std::optional<T>* out) {
  out->reset();
  if (text.empty()) return std::nullopt;
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return fmt::format("{}: expected integer, got {}", name, Quoted(text));
  }
  *out = value;
  return std::nullopt;
}

// Parses a decimal number strictly. from_chars also reads "inf" and "nan",
// which no CSV writer means as an age or a fare, so they are not numbers here.
FieldError ParseNumber(std::string_view name, std::string_view text, std::optional<double>* out) {
  out->reset();
  if (text.empty()) return std::nullopt;
  double value = 0.0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return fmt::format("{}: expected number, got {}", name, Quoted(text));
  }
  *out = value;
  return std::nullopt;
}

// Text must be UTF-8, as in every event (design.md): `kappa produce` would
// otherwise send events that every consumer rejects.
FieldError ParseText(std::string_view name, std::string_view text,
                     std::optional<std::string>* out) {
  out->reset();
  if (text.empty()) return std::nullopt;
  if (const size_t bad = internal::FirstInvalidUtf8(text); bad != text.size()) {
    return fmt::format("{}: invalid UTF-8 at byte {}", name, bad);
  }
  out->emplace(text);
  return std::nullopt;
}

FieldError ParseSex(std::string_view text, Sex* out) {
  if (text.empty()) return "Sex: required field is empty";
  if (text == "male") {
    *out = Sex::kMale;
  } else if (text == "female") {
    *out = Sex::kFemale;
  } else {
    return fmt::format("Sex: expected \"male\" or \"female\", got {}", Quoted(text));
  }
  return std::nullopt;
}

// Only the length is checked here: which letters are valid is CheckRanges()'s
// rule.
FieldError ParseEmbarked(std::string_view text, std::optional<char>* out) {
  out->reset();
  if (text.empty()) return std::nullopt;
  if (text.size() != 1) {
    return fmt::format("Embarked: expected \"S\", \"C\" or \"Q\", got {}", Quoted(text));
  }
  *out = text[0];
  return std::nullopt;
}

template <typename T>
FieldError Require(std::string_view name, const std::optional<T>& value) {
  if (value) return std::nullopt;
  return fmt::format("{}: required field is empty", name);
}

}  // namespace

PassengerCsvReader::PassengerCsvReader(std::unique_ptr<std::istream> in, std::string source_name)
    : in_(std::move(in)), source_name_(std::move(source_name)) {}

Result<std::unique_ptr<PassengerCsvReader>> PassengerCsvReader::Open(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::IoError(fmt::format("{}: is a directory, expected a CSV file", path));
  }
  errno = 0;
  auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!file->is_open()) {
    const int err = errno;
    if (std::filesystem::status(path, ec).type() == std::filesystem::file_type::not_found) {
      return Status::NotFound(fmt::format("{}: no such file", path));
    }
    return Status::IoError(fmt::format(
        "{}: cannot open: {}", path,
        err != 0 ? std::generic_category().message(err) : std::string("unknown error")));
  }
  return FromStream(std::move(file), path);
}

Result<std::unique_ptr<PassengerCsvReader>> PassengerCsvReader::FromStream(
    std::unique_ptr<std::istream> in, std::string source_name) {
  if (!in) return Status::InvalidArgument(fmt::format("{}: no input stream", source_name));
  std::unique_ptr<PassengerCsvReader> reader(
      new PassengerCsvReader(std::move(in), std::move(source_name)));
  KAPPA_RETURN_IF_ERROR(reader->ReadHeader());
  return Result<std::unique_ptr<PassengerCsvReader>>(std::move(reader));
}

Status PassengerCsvReader::ReadHeader() {
  struct KnownColumn {
    std::string_view name;
    std::optional<size_t> Columns::*index;
    bool required;
  };
  static constexpr KnownColumn kKnownColumns[] = {
      {"PassengerId", &Columns::passenger_id, true},
      {"Survived", &Columns::survived, false},
      {"Pclass", &Columns::pclass, true},
      {"Name", &Columns::name, false},
      {"Sex", &Columns::sex, true},
      {"Age", &Columns::age, false},
      {"SibSp", &Columns::sib_sp, false},
      {"Parch", &Columns::parch, false},
      {"Ticket", &Columns::ticket, false},
      {"Fare", &Columns::fare, false},
      {"Cabin", &Columns::cabin, false},
      {"Embarked", &Columns::embarked, false},
  };

  Result<bool> got = ReadRecord(&record_);
  if (!got.ok()) return got.status();
  if (!got.value()) {
    return Status::InvalidArgument(
        fmt::format("{}: empty file, expected a header row", source_name_));
  }
  if (record_.syntax_error) {
    return Status::InvalidArgument(fmt::format("{}: header (line {}): field {}: {}", source_name_,
                                               record_.line, record_.syntax_error_field + 1,
                                               *record_.syntax_error));
  }
  columns_ = Columns{};
  columns_.names = std::move(record_.fields);
  for (size_t i = 0; i < columns_.names.size(); ++i) {
    for (const KnownColumn& known : kKnownColumns) {
      if (columns_.names[i] != known.name) continue;
      if (columns_.*known.index) {
        return Status::InvalidArgument(
            fmt::format("{}: header has column {} twice", source_name_, known.name));
      }
      columns_.*known.index = i;
    }
  }
  for (const KnownColumn& known : kKnownColumns) {
    if (known.required && !(columns_.*known.index)) {
      return Status::InvalidArgument(
          fmt::format("{}: header lacks required column {}", source_name_, known.name));
    }
  }

  // A header-only file leaves eofbit set, and tellg() fails on a stream that
  // is not good(); the next read hits end of file again anyway.
  if (!in_->bad()) in_->clear();
  data_start_ = in_->tellg();
  // A stream that cannot tell its position is still readable once; only
  // Rewind() needs the position, and reports its absence.
  if (!in_->bad()) in_->clear();
  data_start_line_ = line_;
  return Status::Ok();
}

Result<bool> PassengerCsvReader::ReadRecord(Record* record) {
  auto end_of_input = [this]() -> Result<bool> {
    if (in_->bad()) {
      return Status::IoError(fmt::format("{}: read error after line {}", source_name_, line_));
    }
    return false;
  };

  // Blank lines between rows are skipped; a row starts at a non-blank line.
  do {
    if (!std::getline(*in_, line_buf_)) return end_of_input();
    ++line_;
    if (line_ == 1 && line_buf_.starts_with(kUtf8Bom)) line_buf_.erase(0, kUtf8Bom.size());
  } while (line_buf_.empty() || line_buf_ == "\r");

  record->line = line_;
  RowSplitter splitter(&record->fields, &record->syntax_error, &record->syntax_error_field);
  while (!splitter.AddLine(line_buf_)) {
    if (!std::getline(*in_, line_buf_)) {
      if (in_->bad()) return end_of_input();
      splitter.EndAtEof();
      return true;
    }
    ++line_;
  }
  return true;
}

PassengerCsvReader::Row PassengerCsvReader::ToRow(const Record& record) const {
  if (record.syntax_error) {
    return CsvRowError{record.line,
                       fmt::format("{}: {}", ColumnLabel(columns_.names, record.syntax_error_field),
                                   *record.syntax_error)};
  }
  if (record.fields.size() != columns_.names.size()) {
    return CsvRowError{record.line, fmt::format("expected {} fields, got {}", columns_.names.size(),
                                                record.fields.size())};
  }

  const std::vector<std::string>& f = record.fields;
  const Columns& c = columns_;
  PassengerEvent event;
  std::optional<int64_t> id;
  std::optional<int> pclass;
  FieldError error;
  // Every field is parsed; the first error (in Kaggle's column order) is kept.
  auto check = [&error](FieldError e) {
    if (!error) error = std::move(e);
  };
  check(ParseInt("PassengerId", FieldAt(f, c.passenger_id), &id));
  check(Require("PassengerId", id));
  check(ParseInt("Survived", FieldAt(f, c.survived), &event.survived));
  check(ParseInt("Pclass", FieldAt(f, c.pclass), &pclass));
  check(Require("Pclass", pclass));
  check(ParseText("Name", FieldAt(f, c.name), &event.name));
  check(ParseSex(FieldAt(f, c.sex), &event.sex));
  check(ParseNumber("Age", FieldAt(f, c.age), &event.age));
  check(ParseInt("SibSp", FieldAt(f, c.sib_sp), &event.sib_sp));
  check(ParseInt("Parch", FieldAt(f, c.parch), &event.parch));
  check(ParseText("Ticket", FieldAt(f, c.ticket), &event.ticket));
  check(ParseNumber("Fare", FieldAt(f, c.fare), &event.fare));
  check(ParseText("Cabin", FieldAt(f, c.cabin), &event.cabin));
  check(ParseEmbarked(FieldAt(f, c.embarked), &event.embarked));
  if (error) return CsvRowError{record.line, std::move(*error)};

  event.passenger_id = *id;
  event.pclass = *pclass;
  if (std::optional<Rejection> rejection = CheckRanges(event)) {
    return CsvRowError{record.line, std::move(rejection->reason)};
  }
  return event;
}

Result<PassengerCsvReader::Row> PassengerCsvReader::Next() {
  Result<bool> got = ReadRecord(&record_);
  if (!got.ok()) return got.status();
  if (!got.value()) return Row{};
  return ToRow(record_);
}

Status PassengerCsvReader::Rewind() {
  if (data_start_ == std::streampos(-1)) {
    return Status::IoError(fmt::format("{}: cannot rewind: stream is not seekable", source_name_));
  }
  if (in_->bad()) {
    return Status::IoError(fmt::format("{}: cannot rewind after a read error", source_name_));
  }
  in_->clear();  // end of file is expected here: that is when --loop rewinds
  if (!in_->seekg(data_start_)) {
    return Status::IoError(fmt::format("{}: cannot rewind: seek failed", source_name_));
  }
  line_ = data_start_line_;
  return Status::Ok();
}

}  // namespace kappa::stream
