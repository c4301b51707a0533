#include "stream/passenger_generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>
#include <utility>

namespace kappa::stream {
namespace {

// Per-class tables are indexed by pclass - 1. The numbers are read off
// Kaggle's train.csv (891 passengers).
constexpr std::array<double, 3> kClassShare = {0.24, 0.21, 0.55};
constexpr std::array<double, 3> kMaleShare = {0.56, 0.59, 0.71};

constexpr std::array<double, 3> kAgeMean = {38.0, 30.0, 25.0};
constexpr std::array<double, 3> kAgeStddev = {14.0, 14.0, 12.0};
constexpr double kMinAge = 0.42;  // Kaggle's youngest: 5 months
constexpr double kMaxAge = 80.0;
// Ages went unrecorded mostly in 3rd class (overall about 20%).
constexpr std::array<double, 3> kAgeMissing = {0.14, 0.06, 0.277};

// Survival of passengers aged 10 and over. The male rates are below Kaggle's
// per-class male rates because boys, counted there, are boosted separately
// below; with them the overall rates come out at about .37/.16/.14.
constexpr std::array<double, 3> kFemaleSurvival = {0.97, 0.92, 0.50};
constexpr std::array<double, 3> kMaleSurvival = {0.35, 0.09, 0.11};
// "Women and children first": children under kChildAge survive at least this
// often (every boy in 2nd class survived; 3rd-class children fared worse).
constexpr double kChildAge = 10.0;
constexpr std::array<double, 3> kChildSurvival = {1.0, 0.95, 0.40};

// Fares are per ticket, and a family shared one ticket, so a fare grows with
// the family travelling together. Medians are for a single traveller.
constexpr std::array<double, 3> kFareMedian = {50.0, 11.5, 7.25};
constexpr std::array<double, 3> kFareSigma = {0.6, 0.4, 0.12};
constexpr std::array<double, 3> kFarePerRelative = {0.6, 0.45, 0.4};  // share added per relative
constexpr double kMaxFare = 512.3292;                                 // Kaggle's highest fare
constexpr double kFreeFare = 0.01;  // staff and guests listed with fare 0

// Embarked S/C/Q by class: Cherbourg was mostly 1st class, Queenstown 3rd.
constexpr std::array<std::array<double, 3>, 3> kEmbarkedByClass = {{
    {0.59, 0.40, 0.01},
    {0.89, 0.09, 0.02},
    {0.72, 0.13, 0.15},
}};
constexpr std::array<char, 3> kPorts = {'S', 'C', 'Q'};
constexpr double kEmbarkedMissing = 0.002;

constexpr std::array<double, 3> kCabinKnown = {0.80, 0.05, 0.05};
// Decks by class, repeated to weight them.
constexpr std::array<std::string_view, 3> kDecks = {"AABBBBCCCCCDDDDEEE", "DEFFF", "EFFGG"};

// SibSp: 0 for 68%, 1 for 23%, more otherwise; large sibling groups were
// 3rd-class families.
constexpr std::array<double, 3> kSibSpShare = {0.68, 0.23, 0.09};
constexpr std::array<int, 10> kLargeSibSp3rd = {2, 2, 2, 2, 3, 3, 4, 4, 5, 8};
// Parch 0/1/2/3+ for adults and for children (who mostly travelled with a
// parent); together about 76/13/9/2%.
constexpr double kChildParchAge = 13.0;
constexpr std::array<double, 4> kAdultParchShare = {0.855, 0.08, 0.05, 0.015};
constexpr std::array<double, 4> kChildParchShare = {0.08, 0.42, 0.50, 0.0};

constexpr double kClergyOrDoctor = 0.04;  // of adult men in 1st and 2nd class

constexpr std::array<std::string_view, 40> kSurnames = {
    "Andersson", "Sage",     "Johnson", "Carter", "Goodwin",  "Brown",   "Smith",     "Williams",
    "Kelly",     "Allen",    "Harris",  "Hansen", "Moran",    "Jensen",  "Nilsson",   "Baxter",
    "Taylor",    "Fortune",  "Asplund", "Panula", "Skoog",    "Rice",    "Palsson",   "Lefebre",
    "Ryerson",   "Hart",     "Davies",  "Murphy", "Sullivan", "Olsen",   "Backstrom", "Ford",
    "Goldsmith", "Lahtinen", "Becker",  "Dean",   "Harper",   "Hickman", "Laroche",   "Heikkinen"};
constexpr std::array<std::string_view, 25> kMaleNames = {
    "John",      "William", "Charles", "George",  "James",  "Thomas", "Henry",  "Edward", "Joseph",
    "Frederick", "Arthur",  "Albert",  "Richard", "Robert", "Alfred", "Karl",   "Johan",  "Patrick",
    "Michael",   "Ernst",   "Nils",    "Hans",    "Samuel", "David",  "Leonard"};
constexpr std::array<std::string_view, 22> kFemaleNames = {
    "Mary",  "Anna",  "Elizabeth", "Margaret", "Ellen",   "Alice",    "Florence", "Emily",
    "Annie", "Helen", "Marie",     "Bridget",  "Kate",    "Hilda",    "Ida",      "Sarah",
    "Edith", "Lily",  "Maria",     "Augusta",  "Johanna", "Catherine"};

size_t ClassIndex(int pclass) { return static_cast<size_t>(pclass - 1); }

// Share of adult women of a given age listed as "Mrs" rather than "Miss".
double MarriedShare(double age) {
  if (age < 18.0) return 0.0;
  if (age < 20.0) return 0.1;
  if (age < 30.0) return 0.35;
  if (age < 40.0) return 0.6;
  return 0.75;
}

}  // namespace

PassengerGenerator::PassengerGenerator(GeneratorOptions options)
    : state_(options.seed), next_id_(options.first_id) {}

void PassengerGenerator::Next(PassengerEvent* out) {
  PassengerEvent e;
  e.passenger_id = next_id_++;
  e.pclass = static_cast<int>(Pick(kClassShare)) + 1;
  const size_t c = ClassIndex(e.pclass);
  e.sex = Chance(kMaleShare[c]) ? Sex::kMale : Sex::kFemale;
  const double age = DrawAge(e.pclass);
  const int sib_sp = DrawSibSp(e.pclass);
  const int parch = DrawParch(age);
  e.sib_sp = sib_sp;
  e.parch = parch;
  e.survived = DrawSurvived(e.pclass, e.sex, age);
  e.name = DrawName(e.pclass, e.sex, age);
  e.ticket = DrawTicket(e.pclass);
  e.fare = DrawFare(e.pclass, sib_sp + parch);
  e.cabin = DrawCabin(e.pclass, sib_sp + parch);
  e.embarked = DrawEmbarked(e.pclass);
  if (!Chance(kAgeMissing[c])) e.age = age;
  *out = std::move(e);
}

uint64_t PassengerGenerator::NextU64() {
  // splitmix64 (Steele, Lea, Flood 2014): one 64-bit word of state, passes
  // BigCrush, and every seed (0 included) is a good one.
  state_ += 0x9E3779B97F4A7C15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double PassengerGenerator::Uniform() {
  // The top 53 bits, scaled exactly into [0, 1).
  return static_cast<double>(NextU64() >> 11) * 0x1.0p-53;
}

double PassengerGenerator::Normal(double mean, double stddev) {
  // Box-Muller. 1 - Uniform() is in (0, 1], so the log is finite. sqrt is
  // exact under IEEE 754; log and cos may differ by an ulp between libms,
  // which can only show where an age or fare is rounded, at a boundary.
  constexpr double kTwoPi = 6.283185307179586;
  const double u1 = 1.0 - Uniform();
  const double u2 = Uniform();
  return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

bool PassengerGenerator::Chance(double p) { return Uniform() < p; }

int PassengerGenerator::UniformInt(int lo, int hi) {
  return lo + static_cast<int>(UniformIndex(static_cast<size_t>(hi - lo) + 1));
}

size_t PassengerGenerator::UniformIndex(size_t n) {
  const auto i = static_cast<size_t>(Uniform() * static_cast<double>(n));
  return std::min(i, n - 1);
}

size_t PassengerGenerator::Pick(std::span<const double> weights) {
  double u = Uniform();
  for (size_t i = 0; i + 1 < weights.size(); ++i) {
    if (u < weights[i]) return i;
    u -= weights[i];
  }
  return weights.size() - 1;  // also absorbs weights that sum to slightly under 1
}

double PassengerGenerator::DrawAge(int pclass) {
  const size_t c = ClassIndex(pclass);
  // Redrawn rather than clipped, so that no spike forms at the bounds; the
  // clamp only guards against a (practically impossible) run of misses.
  double age = Normal(kAgeMean[c], kAgeStddev[c]);
  for (int tries = 0; (age < kMinAge || age > kMaxAge) && tries < 16; ++tries) {
    age = Normal(kAgeMean[c], kAgeStddev[c]);
  }
  age = std::clamp(age, kMinAge, kMaxAge);
  if (age < 1.0) {
    // Infants are listed in whole months as two-decimal years (5/12 -> 0.42).
    const double months = std::floor(age * 12.0);
    return std::round(months / 12.0 * 100.0) / 100.0;
  }
  // Whole years, and a few estimated ages as x.5 (e.g. 28.5).
  const double years = std::floor(age);
  return years < kMaxAge && Chance(0.03) ? years + 0.5 : years;
}

int PassengerGenerator::DrawSibSp(int pclass) {
  switch (Pick(kSibSpShare)) {
    case 0:
      return 0;
    case 1:
      return 1;
    default:
      return pclass == 3 ? kLargeSibSp3rd[UniformIndex(kLargeSibSp3rd.size())] : UniformInt(2, 3);
  }
}

int PassengerGenerator::DrawParch(double age) {
  const size_t bucket = Pick(age < kChildParchAge ? kChildParchShare : kAdultParchShare);
  return bucket < 3 ? static_cast<int>(bucket) : UniformInt(3, 6);
}

int PassengerGenerator::DrawSurvived(int pclass, Sex sex, double age) {
  const size_t c = ClassIndex(pclass);
  double p = sex == Sex::kFemale ? kFemaleSurvival[c] : kMaleSurvival[c];
  if (age < kChildAge) p = std::max(p, kChildSurvival[c]);
  return Chance(p) ? 1 : 0;
}

std::string PassengerGenerator::DrawName(int pclass, Sex sex, double age) {
  const std::string_view surname = kSurnames[UniformIndex(kSurnames.size())];
  if (sex == Sex::kMale) {
    const std::string_view given = kMaleNames[UniformIndex(kMaleNames.size())];
    std::string_view title = "Mr";
    if (age < 13.0) {
      title = "Master";
    } else if (pclass != 3 && Chance(kClergyOrDoctor)) {
      title = Chance(0.5) ? "Dr" : "Rev";
    }
    if (Chance(0.4)) {
      const std::string_view middle = kMaleNames[UniformIndex(kMaleNames.size())];
      return fmt::format("{}, {}. {} {}", surname, title, given, middle);
    }
    return fmt::format("{}, {}. {}", surname, title, given);
  }
  const std::string_view given = kFemaleNames[UniformIndex(kFemaleNames.size())];
  if (Chance(MarriedShare(age))) {
    // Mostly in Kaggle's "Cumings, Mrs. John Bradley (Florence Briggs Thayer)"
    // shape: husband's name, then her own and her maiden name.
    if (Chance(0.8)) {
      const std::string_view husband = kMaleNames[UniformIndex(kMaleNames.size())];
      const std::string_view maiden = kSurnames[UniformIndex(kSurnames.size())];
      return fmt::format("{}, Mrs. {} ({} {})", surname, husband, given, maiden);
    }
    return fmt::format("{}, Mrs. {}", surname, given);
  }
  if (Chance(0.4)) {
    const std::string_view middle = kFemaleNames[UniformIndex(kFemaleNames.size())];
    return fmt::format("{}, Miss. {} {}", surname, given, middle);
  }
  return fmt::format("{}, Miss. {}", surname, given);
}

std::string PassengerGenerator::DrawTicket(int pclass) {
  // Kaggle's shapes: "113803", "PC 17599" (1st), "248738", "C.A. 24579" (2nd),
  // "349909", "A/5 21171", "STON/O2. 3101282" (3rd).
  const double u = Uniform();
  switch (pclass) {
    case 1:
      if (u < 0.55) return fmt::format("{}", UniformInt(110000, 113999));
      if (u < 0.85) return fmt::format("PC {}", UniformInt(17318, 17800));
      return fmt::format("{}", UniformInt(11751, 19996));
    case 2:
      if (u < 0.6) return fmt::format("{}", UniformInt(220000, 250700));
      if (u < 0.8) return fmt::format("C.A. {}", UniformInt(24000, 34999));
      if (u < 0.9) return fmt::format("SC/PARIS {}", UniformInt(2100, 2170));
      return fmt::format("F.C.C. {}", UniformInt(13500, 13600));
    default:
      if (u < 0.5) return fmt::format("{}", UniformInt(315000, 392099));
      if (u < 0.65) return fmt::format("A/5 {}", UniformInt(2000, 21999));
      if (u < 0.8) return fmt::format("STON/O2. {}", UniformInt(3101250, 3101300));
      if (u < 0.9) return fmt::format("SOTON/O.Q. {}", UniformInt(3101300, 3101320));
      return fmt::format("{}", UniformInt(2620, 2700));
  }
}

double PassengerGenerator::DrawFare(int pclass, int family) {
  if (Chance(kFreeFare)) return 0.0;
  const size_t c = ClassIndex(pclass);
  const double single = kFareMedian[c] * std::exp(kFareSigma[c] * Normal(0.0, 1.0));
  const double fare = std::min(single * (1.0 + kFarePerRelative[c] * family), kMaxFare);
  return std::round(fare * 1e4) / 1e4;  // Kaggle lists at most 4 decimals
}

std::optional<std::string> PassengerGenerator::DrawCabin(int pclass, int family) {
  const size_t c = ClassIndex(pclass);
  if (!Chance(kCabinKnown[c])) return std::nullopt;
  const char deck = kDecks[c][UniformIndex(kDecks[c].size())];
  const int number = UniformInt(2, 148);
  std::string cabin = fmt::format("{}{}", deck, number);
  // Families in 1st class often booked a run of cabins: "C23 C25 C27".
  if (pclass == 1 && family > 0 && Chance(0.2)) {
    const int extra = UniformInt(1, 3);
    for (int i = 1; i <= extra; ++i) cabin += fmt::format(" {}{}", deck, number + 2 * i);
  }
  return cabin;
}

std::optional<char> PassengerGenerator::DrawEmbarked(int pclass) {
  if (Chance(kEmbarkedMissing)) return std::nullopt;
  return kPorts[Pick(kEmbarkedByClass[ClassIndex(pclass)])];
}

}  // namespace kappa::stream
