// titanic-v1: the seed demo's features. Pclass, Sex (male=1, female=0, as
// the seed's label encoding), Age, SibSp, Parch, Fare; missing Age and Fare
// imputed with the training median, then Age and Fare standardized with the
// training mean and deviation (the seed's StandardScaler). Missing SibSp and
// Parch count as 0.
#include "inference/features/titanic_v1.h"

#include "inference/features/feature_math.h"

namespace kappa::inference::features {
namespace {

// Kaggle train.csv medians: used only when the training data has no value.
constexpr double kDefaultAge = 28.0;
constexpr double kDefaultFare = 14.4542;

class TitanicV1Transform final : public FeatureTransform {
 public:
  TitanicV1Transform(double age_impute, MeanStd age, double fare_impute, MeanStd fare)
      : age_impute_(age_impute), age_(age), fare_impute_(fare_impute), fare_(fare) {}

  void Apply(const stream::PassengerEvent& e, float* row) const override {
    row[0] = static_cast<float>(e.pclass);
    row[1] = e.sex == stream::Sex::kMale ? 1.0f : 0.0f;
    row[2] = Standardize(e.age.value_or(age_impute_), age_);
    row[3] = static_cast<float>(e.sib_sp.value_or(0));
    row[4] = static_cast<float>(e.parch.value_or(0));
    row[5] = Standardize(e.fare.value_or(fare_impute_), fare_);
  }
  size_t width() const override { return 6; }

 private:
  double age_impute_;
  MeanStd age_;
  double fare_impute_;
  MeanStd fare_;
};

class TitanicV1Set final : public FeatureSet {
 public:
  std::string_view name() const override { return "titanic-v1"; }
  std::string_view description() const override {
    return "the seed's features: Pclass, Sex, Age, SibSp, Parch, Fare (Age/Fare imputed, "
           "standardized)";
  }
  const std::vector<std::string>& feature_names() const override { return names_; }

  FeatureParams Fit(std::span<const stream::PassengerEvent> events) const override {
    std::vector<double> ages, fares;
    for (const auto& e : events) {
      if (e.age) ages.push_back(*e.age);
      if (e.fare) fares.push_back(*e.fare);
    }
    FeatureParams p;
    p["age_impute"] = Median(ages, kDefaultAge);
    p["fare_impute"] = Median(fares, kDefaultFare);
    // Standardize the imputed column, as the seed's scaler saw it.
    std::vector<double> age_col, fare_col;
    age_col.reserve(events.size());
    fare_col.reserve(events.size());
    for (const auto& e : events) {
      age_col.push_back(e.age.value_or(p["age_impute"]));
      fare_col.push_back(e.fare.value_or(p["fare_impute"]));
    }
    const MeanStd age = ComputeMeanStd(age_col);
    const MeanStd fare = ComputeMeanStd(fare_col);
    p["age_mean"] = age.mean;
    p["age_std"] = age.std;
    p["fare_mean"] = fare.mean;
    p["fare_std"] = fare.std;
    return p;
  }

  Result<std::unique_ptr<FeatureTransform>> Bind(const FeatureParams& p) const override {
    double v[6];
    const char* keys[6] = {"age_impute",  "age_mean",  "age_std",
                           "fare_impute", "fare_mean", "fare_std"};
    for (int i = 0; i < 6; ++i) {
      auto value = RequireParam(p, keys[i]);
      if (!value.ok()) return value.status();
      v[i] = *value;
    }
    if (v[2] <= 0 || v[5] <= 0) return Status::Corruption("feature deviations must be > 0");
    return std::unique_ptr<FeatureTransform>(
        std::make_unique<TitanicV1Transform>(v[0], MeanStd{v[1], v[2]}, v[3], MeanStd{v[4], v[5]}));
  }

 private:
  std::vector<std::string> names_ = {"Pclass", "Sex", "Age", "SibSp", "Parch", "Fare"};
};

}  // namespace

const FeatureSet& TitanicV1() {
  static const TitanicV1Set instance;
  return instance;
}

}  // namespace kappa::inference::features
