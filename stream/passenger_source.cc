#include "stream/passenger_source.h"

#include <spdlog/spdlog.h>

#include "stream/csv_reader.h"

namespace kappa::stream {
namespace {

class GeneratorSource final : public PassengerSource {
 public:
  explicit GeneratorSource(GeneratorOptions options) : generator_(options) {}
  Result<bool> Next(PassengerEvent* out) override {
    generator_.Next(out);
    return true;
  }

 private:
  PassengerGenerator generator_;
};

class CsvSource final : public PassengerSource {
 public:
  CsvSource(std::unique_ptr<PassengerCsvReader> reader, bool loop, BadRowPolicy policy)
      : reader_(std::move(reader)), loop_(loop), policy_(policy) {}

  Result<bool> Next(PassengerEvent* out) override {
    for (;;) {
      auto row = reader_->Next();
      if (!row.ok()) return row.status();
      if (auto* event = std::get_if<PassengerEvent>(&*row)) {
        *out = std::move(*event);
        ++good_in_pass_;
        return true;
      }
      if (auto* error = std::get_if<CsvRowError>(&*row)) {
        const std::string where = reader_->source_name() + ":" + std::to_string(error->line);
        if (policy_ == BadRowPolicy::kFail) {
          return Status::InvalidArgument(where + ": " + error->reason);
        }
        spdlog::warn("{}: skipping malformed row: {}", where, error->reason);
        ++bad_rows_;
        continue;
      }
      // End of file.
      if (!loop_) return false;
      if (good_in_pass_ == 0) {
        return Status::InvalidArgument(reader_->source_name() +
                                       ": no valid rows, cannot --loop over it");
      }
      good_in_pass_ = 0;
      KAPPA_RETURN_IF_ERROR(reader_->Rewind());
    }
  }

  uint64_t bad_rows() const override { return bad_rows_; }

 private:
  std::unique_ptr<PassengerCsvReader> reader_;
  bool loop_;
  BadRowPolicy policy_;
  uint64_t bad_rows_ = 0;
  uint64_t good_in_pass_ = 0;
};

}  // namespace

std::unique_ptr<PassengerSource> MakeGeneratorSource(GeneratorOptions options) {
  return std::make_unique<GeneratorSource>(options);
}

Result<std::unique_ptr<PassengerSource>> OpenCsvSource(const std::string& path, bool loop,
                                                       BadRowPolicy policy) {
  auto reader = PassengerCsvReader::Open(path);
  if (!reader.ok()) return reader.status();
  return std::unique_ptr<PassengerSource>(
      std::make_unique<CsvSource>(std::move(reader).value(), loop, policy));
}

}  // namespace kappa::stream
