// PassengerGenerator: a seeded source of realistic, labeled Titanic
// passengers, for `kappa produce` when no CSV is given.
//
// The marginals follow Kaggle's train.csv: about 38% survived; class 1/2/3 at
// 24/21/55%; 65% male; about 20% of ages missing (more in 3rd class); fares by
// class; SibSp/Parch/Embarked/Cabin/Ticket/Name in Kaggle's shapes. Survival
// depends on sex, class and age as in the real data, so a model can learn it.
//
// Deterministic: the same seed gives the same sequence on every platform
// (own distributions over a fixed 64-bit PRNG, no std:: distributions, whose
// output is implementation-defined). PassengerIds count up from first_id.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "stream/passenger_event.h"

namespace kappa::stream {

struct GeneratorOptions {
  uint64_t seed = 42;
  int64_t first_id = 1;  // PassengerId of the first event
};

class PassengerGenerator {
 public:
  explicit PassengerGenerator(GeneratorOptions options = {});

  // Fills *out with the next passenger (ts_ms left empty: the producer stamps
  // the send time). Every event passes CheckRanges().
  void Next(PassengerEvent* out);

 private:
  // The PRNG and the distributions built on it. Values are drawn in a fixed
  // order (never two draws in one expression, whose evaluation order C++
  // leaves open), so a seed pins the whole sequence.
  uint64_t NextU64();                            // splitmix64
  double Uniform();                              // [0, 1)
  double Normal(double mean, double stddev);     // Box-Muller
  bool Chance(double p);                         // true with probability p
  int UniformInt(int lo, int hi);                // [lo, hi]
  size_t UniformIndex(size_t n);                 // [0, n), n > 0
  size_t Pick(std::span<const double> weights);  // index i with probability weights[i]

  // One passenger's attributes; `pclass` is 1..3, `age` the true age (drawn
  // even when the event will not show it, since survival and title depend on it).
  double DrawAge(int pclass);
  int DrawSibSp(int pclass);
  int DrawParch(double age);
  int DrawSurvived(int pclass, Sex sex, double age);
  std::string DrawName(int pclass, Sex sex, double age);
  std::string DrawTicket(int pclass);
  double DrawFare(int pclass, int family);
  std::optional<std::string> DrawCabin(int pclass, int family);
  std::optional<char> DrawEmbarked(int pclass);

  uint64_t state_;
  int64_t next_id_;
};

}  // namespace kappa::stream
