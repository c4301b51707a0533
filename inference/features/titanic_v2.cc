// titanic-v2: what Titanic practitioners add to the seed's features. The
// worked example of adding a feature set (README, "Adding a feature set").
//
// Columns: Pclass, Sex, Age, SibSp, Parch, Fare (raw: trees need no scaling),
// Title (from Name: Mr 0, Mrs 1, Miss 2, Master 3, rare titles 4; missing
// Name -> NaN), FamilySize (SibSp + Parch + 1), IsAlone, Embarked (S 0, C 1,
// Q 2; missing -> the training mode), FarePerPerson (Fare / FamilySize),
// CabinKnown.
// Fitted: the median age per title (missing Age is imputed from the
// passenger's title: a "Master" is a boy), the overall median age, the median
// fare and the most common port.
#include "inference/features/titanic_v2.h"

#include <array>

#include "inference/features/feature_math.h"

namespace kappa::inference::features {
namespace {

enum Title { kMr = 0, kMrs, kMiss, kMaster, kRare, kTitleCount };
constexpr std::array<const char*, kTitleCount> kTitleNames = {"Mr", "Mrs", "Miss", "Master",
                                                              "Rare"};
constexpr double kDefaultAge = 28.0;
constexpr double kDefaultFare = 14.4542;

// "Braund, Mr. Owen Harris" -> kMr. std::nullopt when there is no Name or
// no "Surname, Title." shape.
std::optional<Title> ParseTitle(const std::optional<std::string>& name) {
  if (!name) return std::nullopt;
  const auto comma = name->find(", ");
  if (comma == std::string::npos) return std::nullopt;
  const auto dot = name->find('.', comma + 2);
  if (dot == std::string::npos) return std::nullopt;
  const std::string_view t = std::string_view(*name).substr(comma + 2, dot - comma - 2);
  if (t == "Mr") return kMr;
  if (t == "Mrs" || t == "Mme") return kMrs;
  if (t == "Miss" || t == "Mlle" || t == "Ms") return kMiss;
  if (t == "Master") return kMaster;
  return kRare;  // Dr, Rev, Col, Major, Capt, Countess, Lady, Sir, Don, Jonkheer, ...
}

float EmbarkedCode(char port) { return port == 'C' ? 1.0f : port == 'Q' ? 2.0f : 0.0f; }

class TitanicV2Transform final : public FeatureTransform {
 public:
  TitanicV2Transform(std::array<double, kTitleCount> age_by_title, double age_median,
                     double fare_impute, char embarked_mode)
      : age_by_title_(age_by_title),
        age_median_(age_median),
        fare_impute_(fare_impute),
        embarked_mode_(embarked_mode) {}

  void Apply(const stream::PassengerEvent& e, float* row) const override {
    const auto title = ParseTitle(e.name);
    const double age = e.age ? *e.age : title ? age_by_title_[*title] : age_median_;
    const double fare = e.fare.value_or(fare_impute_);
    const int family = e.sib_sp.value_or(0) + e.parch.value_or(0) + 1;
    row[0] = static_cast<float>(e.pclass);
    row[1] = e.sex == stream::Sex::kMale ? 1.0f : 0.0f;
    row[2] = static_cast<float>(age);
    row[3] = static_cast<float>(e.sib_sp.value_or(0));
    row[4] = static_cast<float>(e.parch.value_or(0));
    row[5] = static_cast<float>(fare);
    row[6] = title ? static_cast<float>(*title) : kMissing;
    row[7] = static_cast<float>(family);
    row[8] = family == 1 ? 1.0f : 0.0f;
    row[9] = EmbarkedCode(e.embarked.value_or(embarked_mode_));
    row[10] = static_cast<float>(fare / family);
    row[11] = e.cabin && !e.cabin->empty() ? 1.0f : 0.0f;
  }
  size_t width() const override { return 12; }

 private:
  std::array<double, kTitleCount> age_by_title_;
  double age_median_;
  double fare_impute_;
  char embarked_mode_;
};

class TitanicV2Set final : public FeatureSet {
 public:
  std::string_view name() const override { return "titanic-v2"; }
  std::string_view description() const override {
    return "v1 plus Title, FamilySize, IsAlone, Embarked, FarePerPerson, CabinKnown; Age "
           "imputed by title";
  }
  const std::vector<std::string>& feature_names() const override { return names_; }

  FeatureParams Fit(std::span<const stream::PassengerEvent> events) const override {
    std::array<std::vector<double>, kTitleCount> ages_by_title;
    std::vector<double> ages, fares;
    std::array<uint64_t, 3> ports{};  // S, C, Q
    for (const auto& e : events) {
      if (e.age) {
        ages.push_back(*e.age);
        if (const auto t = ParseTitle(e.name)) ages_by_title[*t].push_back(*e.age);
      }
      if (e.fare) fares.push_back(*e.fare);
      if (e.embarked) ++ports[static_cast<size_t>(EmbarkedCode(*e.embarked))];
    }
    FeatureParams p;
    p["age_median"] = Median(ages, kDefaultAge);
    for (int t = 0; t < kTitleCount; ++t) {
      p[std::string("age_median.") + kTitleNames[t]] = Median(ages_by_title[t], p["age_median"]);
    }
    p["fare_impute"] = Median(fares, kDefaultFare);
    // Ties go to the earlier port (S, then C): deterministic.
    size_t mode = 0;
    for (size_t i = 1; i < ports.size(); ++i) {
      if (ports[i] > ports[mode]) mode = i;
    }
    p["embarked_mode"] = static_cast<double>(mode);
    return p;
  }

  Result<std::unique_ptr<FeatureTransform>> Bind(const FeatureParams& p) const override {
    std::array<double, kTitleCount> by_title{};
    for (int t = 0; t < kTitleCount; ++t) {
      auto v = RequireParam(p, std::string("age_median.") + kTitleNames[t]);
      if (!v.ok()) return v.status();
      by_title[t] = *v;
    }
    auto median = RequireParam(p, "age_median");
    auto fare = RequireParam(p, "fare_impute");
    auto mode = RequireParam(p, "embarked_mode");
    for (const auto* r : {&median, &fare, &mode}) {
      if (!r->ok()) return r->status();
    }
    if (*mode != 0 && *mode != 1 && *mode != 2) {
      return Status::Corruption("feature parameter 'embarked_mode' must be 0, 1 or 2");
    }
    constexpr char kPorts[] = {'S', 'C', 'Q'};
    return std::unique_ptr<FeatureTransform>(std::make_unique<TitanicV2Transform>(
        by_title, *median, *fare, kPorts[static_cast<int>(*mode)]));
  }

 private:
  std::vector<std::string> names_ = {"Pclass",  "Sex",      "Age",           "SibSp",
                                     "Parch",   "Fare",     "Title",         "FamilySize",
                                     "IsAlone", "Embarked", "FarePerPerson", "CabinKnown"};
};

}  // namespace

const FeatureSet& TitanicV2() {
  static const TitanicV2Set instance;
  return instance;
}

}  // namespace kappa::inference::features
