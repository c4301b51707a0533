// Fuzz target: EventDecoder::Decode (stream/event_codec.h) on arbitrary
// record values, including its plain-event fast path
// (stream/plain_event_reader.h), which the decoder takes for every value it
// accepts.
//
// Beyond "no crash, no sanitizer report", each input checks:
//  - a rejection has a kind and a one-line, short, UTF-8 reason;
//  - an accepted event keeps the event contract (ranges, UTF-8 strings);
//  - decoding is deterministic: the same decoder again, with *out holding
//    another event's values, gives the same result as a fresh decoder;
//  - the size limit: a decoder limited to 64 bytes rejects longer values as
//    oversize and otherwise agrees;
//  - the fast path agrees with the general (simdjson) decoder: whenever
//    ReadPlainEvent() accepts a value, the same value with an unknown field
//    added (which only the general decoder reads) decodes to the same event
//    or the same range rejection;
//  - unknown fields and surrounding whitespace change nothing;
//  - simdjson's portable "fallback" kernel, which checks UTF-8 differently
//    (see Stage1ValidatesUtf8() in event_codec.cc), gives the same result;
//  - encode(decode(x)) decodes to the same event and re-encodes to the same
//    bytes.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_writer.h"
#include "fuzz/fuzz_checks.h"
#include "stream/event_codec.h"
#include "stream/passenger_event.h"
#include "stream/plain_event_reader.h"

namespace kappa::fuzz {
namespace {

using stream::DecoderOptions;
using stream::EventDecoder;
using stream::PassengerEvent;
using stream::Rejection;

constexpr std::string_view kValidEvent =
    R"({"PassengerId":1,"Survived":0,"Pclass":3,"Name":"Braund, Mr. Owen Harris","Sex":"male",)"
    R"("Age":22,"SibSp":1,"Parch":0,"Ticket":"A/5 21171","Fare":7.25,"Cabin":null,"Embarked":"S"})";

// Values derived from an input (whitespace or a field added) may exceed the
// default limit that the input itself was within.
constexpr DecoderOptions kRoomy{.max_event_bytes = 1 << 20};

// Every optional field set, none to what a decode would give, so a decode
// that forgets to reset a field absent from its input is seen.
PassengerEvent DirtyEvent() {
  PassengerEvent e;
  e.passenger_id = 424242;
  e.pclass = 2;
  e.sex = stream::Sex::kFemale;
  e.age = 99.5;
  e.sib_sp = 77;
  e.parch = 66;
  e.fare = 5555.5;
  e.name = "stale name";
  e.ticket = "stale ticket";
  e.cabin = "stale cabin";
  e.embarked = 'Q';
  e.survived = 1;
  e.ts_ms = 123456789;
  return e;
}

// A decoder whose parser runs simdjson's fallback kernel, or null when this
// build has none. A parser keeps the kernel active when it first allocates;
// the decoder reads at construction whether that kernel checks UTF-8.
EventDecoder* FallbackDecoder() {
  static EventDecoder* const decoder = []() -> EventDecoder* {
    const simdjson::implementation* fallback =
        simdjson::get_available_implementations()["fallback"];
    const simdjson::implementation* active = simdjson::get_active_implementation();
    if (fallback == nullptr || fallback == active || !fallback->supported_by_runtime_system()) {
      return nullptr;
    }
    simdjson::get_active_implementation() = fallback;
    auto* d = new EventDecoder();
    PassengerEvent e;
    // Takes the general path (an unknown field), so the parser allocates.
    const std::optional<Rejection> r =
        d->Decode(R"({"x":1,"PassengerId":1,"Pclass":1,"Sex":"male"})", &e);
    simdjson::get_active_implementation() = active;
    KAPPA_FUZZ_CHECK(!r, Describe(r));
    return d;
  }();
  return decoder;
}

bool SameResult(const std::optional<Rejection>& a, const PassengerEvent& event_a,
                const std::optional<Rejection>& b, const PassengerEvent& event_b) {
  if (a.has_value() != b.has_value()) return false;
  if (a) return a->kind == b->kind && a->reason == b->reason;
  return event_a == event_b;
}

std::string Show(std::string_view input) {
  std::string shown;
  AppendJsonString(input.substr(0, 300), &shown);
  return shown;
}

// `value` with `member` inserted as the first member of its root object.
// `value` must start, after whitespace, with '{' and have another member.
std::string WithFirstMember(std::string_view value, std::string_view member) {
  const size_t brace = value.find('{');
  std::string out(value.substr(0, brace + 1));
  out.append(member).push_back(',');
  out.append(value.substr(brace + 1));
  return out;
}

void CheckInput(std::string_view input) {
  const std::string shown = Show(input);

  // A fresh decoder: the reference result.
  EventDecoder fresh;
  PassengerEvent event;
  const std::optional<Rejection> result = fresh.Decode(input, &event);
  if (result) {
    CheckReason(result->reason);
    KAPPA_FUZZ_CHECK(stream::RejectKindName(result->kind) != "unknown", shown);
    KAPPA_FUZZ_CHECK(result->kind != stream::RejectKind::kNullValue, shown);
    KAPPA_FUZZ_CHECK((result->kind == stream::RejectKind::kEmpty) == input.empty(), shown);
  } else {
    CheckEventContract(event);
  }
  const std::string described = shown + " -> " + (result ? Describe(result) : Describe(event));

  // Deterministic, whatever *out and the decoder held before.
  {
    PassengerEvent dirty = DirtyEvent();
    const std::optional<Rejection> again = fresh.Decode(input, &dirty);
    KAPPA_FUZZ_CHECK(SameResult(result, event, again, dirty),
                     described + " then " + (again ? Describe(again) : Describe(dirty)));
  }

  // The size limit.
  {
    EventDecoder small(DecoderOptions{.max_event_bytes = 64});
    PassengerEvent e;
    const std::optional<Rejection> r = small.Decode(input, &e);
    if (input.size() > 64) {
      KAPPA_FUZZ_CHECK(r && r->kind == stream::RejectKind::kOversize, described);
    } else {
      KAPPA_FUZZ_CHECK(SameResult(result, event, r, e), described + " vs " + Describe(r));
    }
  }

  // The other simdjson kernel: the same events accepted, the same invalid
  // UTF-8 found. A document with several faults may be rejected for another
  // one, as not_json, with one kernel: the SIMD kernels find e.g. an unclosed
  // string while indexing the whole document, before any field is read;
  // the fallback kernel only when it gets there, after an earlier field's
  // range rejection. And which of simdjson's error codes names a malformed
  // document can depend on the kernel (UNCLOSED_STRING or TAPE_ERROR).
  if (EventDecoder* fallback = FallbackDecoder()) {
    PassengerEvent e = DirtyEvent();
    const std::optional<Rejection> r = fallback->Decode(input, &e);
    const std::string what = described + " vs fallback kernel: " + (r ? Describe(r) : Describe(e));
    if (result && r) {
      const bool either_not_json =
          result->kind == stream::RejectKind::kNotJson || r->kind == stream::RejectKind::kNotJson;
      KAPPA_FUZZ_CHECK(either_not_json ? result->kind != stream::RejectKind::kInvalidUtf8 &&
                                             r->kind != stream::RejectKind::kInvalidUtf8
                                       : SameResult(result, event, r, e),
                       what);
    } else {
      KAPPA_FUZZ_CHECK(SameResult(result, event, r, e), what);
    }
  }

  // The fast path against the general decoder.
  std::vector<char> padded(input.size() + simdjson::SIMDJSON_PADDING, '\0');
  if (!input.empty()) std::memcpy(padded.data(), input.data(), input.size());
  PassengerEvent plain;
  if (stream::internal::ReadPlainEvent(std::string_view(padded.data(), input.size()), &plain)) {
    const std::optional<Rejection> ranges = stream::CheckRanges(plain);
    KAPPA_FUZZ_CHECK(SameResult(result, event, ranges, plain),
                     described + " vs plain " + Describe(plain));
    // Not plain with an unknown field: the general decoder reads this one.
    EventDecoder general(kRoomy);
    PassengerEvent e = DirtyEvent();
    const std::string extended = WithFirstMember(input, R"("~":0)");
    const std::optional<Rejection> r = general.Decode(extended, &e);
    KAPPA_FUZZ_CHECK(SameResult(ranges, plain, r, e),
                     described + " vs general decoder: " + (r ? Describe(r) : Describe(e)));
  }

  if (result) return;

  // Unknown fields (of any JSON type) and whitespace around the object are
  // ignored.
  {
    EventDecoder roomy(kRoomy);
    for (const std::string& variant :
         {WithFirstMember(input, R"("Extra":{"a":[1,2.5e3,"x",null,true]})"),
          " \t\r\n" + std::string(input) + "\n "}) {
      PassengerEvent e = DirtyEvent();
      const std::optional<Rejection> r = roomy.Decode(variant, &e);
      KAPPA_FUZZ_CHECK(!r && e == event, described + " vs " + Show(variant) + " -> " +
                                             (r ? Describe(r) : Describe(e)));
    }
  }

  CheckRoundTrip(event, &fresh);
}

}  // namespace
}  // namespace kappa::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kappa::fuzz::CheckInput(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // A tombstone is always rejected as such; checked once, not per input.
  kappa::stream::EventDecoder decoder;
  kappa::stream::PassengerEvent e;
  const std::optional<kappa::stream::Rejection> r = decoder.Decode(std::nullopt, &e);
  KAPPA_FUZZ_CHECK(r && r->kind == kappa::stream::RejectKind::kNullValue, "tombstone");
  std::string valid(kappa::fuzz::kValidEvent);
  KAPPA_FUZZ_CHECK(!decoder.Decode(valid, &e), "a valid event is accepted");
  return 0;
}
