#include "stream/event_fields.h"

#include <fmt/format.h>

namespace kappa::stream::internal {

void ResetAbsent(const FieldSet& seen, PassengerEvent* e) {
  const auto absent = [&](Field f) { return !seen.test(Index(f)); };
  if (absent(Field::kAge)) e->age.reset();
  if (absent(Field::kSibSp)) e->sib_sp.reset();
  if (absent(Field::kParch)) e->parch.reset();
  if (absent(Field::kFare)) e->fare.reset();
  if (absent(Field::kName)) e->name.reset();
  if (absent(Field::kTicket)) e->ticket.reset();
  if (absent(Field::kCabin)) e->cabin.reset();
  if (absent(Field::kEmbarked)) e->embarked.reset();
  if (absent(Field::kSurvived)) e->survived.reset();
  if (absent(Field::kTs)) e->ts_ms.reset();
}

std::optional<Rejection> CheckRequired(const FieldSet& seen) {
  for (Field f : {Field::kPassengerId, Field::kPclass, Field::kSex}) {
    if (!seen.test(Index(f))) {
      return Rejection{RejectKind::kMissingField,
                       fmt::format("{}: required field missing", NameOf(f))};
    }
  }
  return std::nullopt;
}

}  // namespace kappa::stream::internal
