// kappa_bench_decode: the cost of EventDecoder::Decode on typical events,
// with no Kafka involved.
//
//   kappa_bench_decode [--count N] [--seed S] [--passes P] [--unknown-field]
//
// Generates N passengers with the seeded generator (as `kappa produce` does),
// stamps a send time and encodes each into its own heap buffer, as
// librdkafka hands payloads over. Decodes every event once to warm up (and
// to check that all of them are accepted), then times P passes (default 1)
// of Decode over all of them with one decoder, as a scoring thread does,
// and reports the fastest: on a shared machine the slower passes measure
// the neighbours. --unknown-field appends a field the decoder does not know
// ("Sex_enc":1, as the seed's producer adds) to every event: such events
// are not plain, so this times the decoder's general path.
// Output (stdout): events=N seconds=S ns_per_event=X (S: one pass)
// Exit code 1 if any event is rejected, 2 on bad usage.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "stream/event_codec.h"
#include "stream/passenger_source.h"

namespace kappa::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  uint64_t count = 200000;
  uint64_t seed = 42;
  uint64_t passes = 1;
  bool unknown_field = false;
};

[[noreturn]] void Usage(const std::string& problem) {
  std::fprintf(stderr,
               "kappa_bench_decode: %s\n"
               "usage: kappa_bench_decode [--count N] [--seed S] [--passes P] [--unknown-field]\n",
               problem.c_str());
  std::exit(2);
}

uint64_t ParsePositive(const char* text) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || n == 0) Usage(std::string("not a positive number: ") + text);
  return n;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--unknown-field") {
      f.unknown_field = true;
      continue;
    }
    if (i + 1 >= argc) Usage("missing value for " + arg);
    if (arg == "--count") {
      f.count = ParsePositive(argv[++i]);
    } else if (arg == "--seed") {
      f.seed = ParsePositive(argv[++i]);
    } else if (arg == "--passes") {
      f.passes = ParsePositive(argv[++i]);
    } else {
      Usage("unknown argument " + arg);
    }
  }
  return f;
}

// The values of N generated events, each in its own allocation.
std::vector<std::string> EncodedEvents(const Flags& flags) {
  auto source = stream::MakeGeneratorSource({.seed = flags.seed});
  std::vector<std::string> values;
  values.reserve(flags.count);
  stream::PassengerEvent event;
  constexpr int64_t kSendTimeMs = 1700000000000;  // a realistic `ts`, fixed for repeatability
  for (uint64_t i = 0; i < flags.count; ++i) {
    auto more = source->Next(&event);
    if (!more.ok() || !*more) Usage("the generator stopped");
    event.ts_ms = kSendTimeMs + static_cast<int64_t>(i);
    std::string value;
    stream::EncodeEvent(event, &value);
    if (flags.unknown_field) value.insert(value.size() - 1, R"(,"Sex_enc":1)");
    values.push_back(std::move(value));
  }
  return values;
}

// Decodes every value; returns how many were rejected.
uint64_t DecodeAll(stream::EventDecoder* decoder, const std::vector<std::string>& values) {
  stream::PassengerEvent event;
  uint64_t rejected = 0;
  for (const std::string& value : values) {
    if (auto rejection = decoder->Decode(value, &event)) {
      if (rejected++ == 0) std::fprintf(stderr, "rejected: %s\n", rejection->reason.c_str());
    }
  }
  return rejected;
}

int Main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  const std::vector<std::string> values = EncodedEvents(flags);
  stream::EventDecoder decoder;
  if (DecodeAll(&decoder, values) > 0) return 1;

  double seconds = 0;
  for (uint64_t pass = 0; pass < flags.passes; ++pass) {
    const auto t0 = Clock::now();
    if (DecodeAll(&decoder, values) > 0) return 1;
    const double pass_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (pass == 0 || pass_seconds < seconds) seconds = pass_seconds;
  }
  std::printf("events=%llu seconds=%.4f ns_per_event=%.1f\n",
              static_cast<unsigned long long>(values.size()), seconds,
              seconds * 1e9 / static_cast<double>(values.size()));
  return 0;
}

}  // namespace
}  // namespace kappa::bench

int main(int argc, char** argv) { return kappa::bench::Main(argc, argv); }
