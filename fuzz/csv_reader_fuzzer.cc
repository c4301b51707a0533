// Fuzz target: PassengerCsvReader (stream/csv_reader.h) on arbitrary file
// contents, read from memory through FromStream(), the same parser Open()
// runs over a file, so no input touches the disk.
//
// Beyond "no crash, no sanitizer report", each input checks:
//  - errors (a refused header, a bad row) have a one-line, short, UTF-8
//    reason; a bad row's line is after the previous row's and within the
//    file;
//  - reading ends: no more rows than lines;
//  - every event keeps the event contract (ranges, UTF-8 strings), and
//    survives what `kappa produce --csv` does with it: encoded as JSON, it
//    decodes to the same event (EventDecoder);
//  - Rewind() (for --loop) reads the same rows again, errors included;
//  - the events written back as an RFC 4180 file read back as the same
//    events, without errors.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz/fuzz_checks.h"
#include "stream/csv_reader.h"
#include "stream/event_codec.h"
#include "stream/passenger_event.h"

namespace kappa::fuzz {
namespace {

using stream::CsvRowError;
using stream::PassengerCsvReader;
using stream::PassengerEvent;

using Row = PassengerCsvReader::Row;

std::unique_ptr<PassengerCsvReader> Open(std::string_view text, std::string* error) {
  auto reader = PassengerCsvReader::FromStream(
      std::make_unique<std::istringstream>(std::string(text)), "fuzz.csv");
  if (!reader.ok()) {
    *error = reader.status().message();
    return nullptr;
  }
  return std::move(reader).value();
}

bool SameRow(const Row& a, const Row& b) {
  if (a.index() != b.index()) return false;
  if (const auto* e = std::get_if<PassengerEvent>(&a)) return *e == std::get<PassengerEvent>(b);
  if (const auto* r = std::get_if<CsvRowError>(&a)) {
    const auto& other = std::get<CsvRowError>(b);
    return r->line == other.line && r->reason == other.reason;
  }
  return true;
}

std::string Describe(const Row& row) {
  if (const auto* e = std::get_if<PassengerEvent>(&row)) return fuzz::Describe(*e);
  if (const auto* r = std::get_if<CsvRowError>(&row)) {
    return "line " + std::to_string(r->line) + ": " + r->reason;
  }
  return "end of file";
}

// Every row up to the end of the file, checking each; the end is not
// included.
std::vector<Row> Drain(PassengerCsvReader* reader, int64_t lines) {
  std::vector<Row> rows;
  int64_t last_line = 1;  // the header's, at the least
  stream::EventDecoder decoder;
  while (true) {
    Result<Row> next = reader->Next();
    KAPPA_FUZZ_CHECK(next.ok(), next.status().ToString());  // memory never fails to read
    Row& row = next.value();
    if (std::holds_alternative<std::monostate>(row)) break;
    KAPPA_FUZZ_CHECK(static_cast<int64_t>(rows.size()) < lines, "more rows than lines");
    if (const auto* e = std::get_if<PassengerEvent>(&row)) {
      CheckEventContract(*e);
      CheckRoundTrip(*e, &decoder);
    } else {
      const auto& error = std::get<CsvRowError>(row);
      CheckReason(error.reason);
      KAPPA_FUZZ_CHECK(error.line > last_line && error.line <= lines,
                       "line " + std::to_string(error.line) + " after line " +
                           std::to_string(last_line) + " of " + std::to_string(lines));
      last_line = error.line;
    }
    rows.push_back(std::move(row));
  }
  // At the end, it stays at the end.
  Result<Row> after = reader->Next();
  KAPPA_FUZZ_CHECK(after.ok() && std::holds_alternative<std::monostate>(after.value()),
                   "a row after the end");
  return rows;
}

template <typename Number>
void AppendNumber(const std::optional<Number>& n, std::string* out) {
  if (!n) return;
  char buf[32];
  out->append(buf, std::to_chars(buf, buf + sizeof buf, *n).ptr);
}

void AppendText(const std::optional<std::string>& text, std::string* out) {
  if (!text) return;
  out->push_back('"');
  for (const char c : *text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// The events as a Kaggle train.csv, every text quoted.
std::string ToCsv(const std::vector<PassengerEvent>& events) {
  std::string csv =
      "PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\r\n";
  for (const PassengerEvent& e : events) {
    AppendNumber(std::optional(e.passenger_id), &csv);
    csv += ',';
    AppendNumber(e.survived, &csv);
    csv += ',';
    AppendNumber(std::optional(e.pclass), &csv);
    csv += ',';
    AppendText(e.name, &csv);
    csv += ',';
    csv += stream::SexName(e.sex);
    csv += ',';
    AppendNumber(e.age, &csv);
    csv += ',';
    AppendNumber(e.sib_sp, &csv);
    csv += ',';
    AppendNumber(e.parch, &csv);
    csv += ',';
    AppendText(e.ticket, &csv);
    csv += ',';
    AppendNumber(e.fare, &csv);
    csv += ',';
    AppendText(e.cabin, &csv);
    csv += ',';
    if (e.embarked) csv += *e.embarked;
    csv += "\r\n";
  }
  return csv;
}

void CheckInput(std::string_view input) {
  // Physical lines: a last line without '\n' counts.
  int64_t lines = 1;
  for (const char c : input) lines += c == '\n';

  std::string error;
  std::unique_ptr<PassengerCsvReader> reader = Open(input, &error);
  if (!reader) {
    CheckReason(error);
    return;
  }
  const std::vector<Row> rows = Drain(reader.get(), lines);

  const Status rewound = reader->Rewind();
  KAPPA_FUZZ_CHECK(rewound.ok(), rewound.ToString());
  const std::vector<Row> again = Drain(reader.get(), lines);
  KAPPA_FUZZ_CHECK(again.size() == rows.size(), "a different number of rows after Rewind()");
  for (size_t i = 0; i < rows.size(); ++i) {
    KAPPA_FUZZ_CHECK(SameRow(rows[i], again[i]), "row " + std::to_string(i) + ": " +
                                                     Describe(rows[i]) +
                                                     " then after Rewind(): " + Describe(again[i]));
  }

  std::vector<PassengerEvent> events;
  for (const Row& row : rows) {
    if (const auto* e = std::get_if<PassengerEvent>(&row)) events.push_back(*e);
  }
  if (events.empty()) return;
  const std::string csv = ToCsv(events);
  std::unique_ptr<PassengerCsvReader> rewritten = Open(csv, &error);
  KAPPA_FUZZ_CHECK(rewritten != nullptr, error);
  const std::vector<Row> reread =
      Drain(rewritten.get(), lines + 1 + static_cast<int64_t>(csv.size()));
  KAPPA_FUZZ_CHECK(reread.size() == events.size(), "a different number of rows, rewritten");
  for (size_t i = 0; i < events.size(); ++i) {
    KAPPA_FUZZ_CHECK(SameRow(Row(events[i]), reread[i]),
                     Describe(events[i]) + " rewritten and read: " + Describe(reread[i]));
  }
}

}  // namespace
}  // namespace kappa::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kappa::fuzz::CheckInput(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
