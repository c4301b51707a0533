#!/usr/bin/python3
"""The seed demo's training step, rebuilt for scripts/bench.

The seed (shared/seeds/kafka-xgboost-titanic-demo.md, model_training/
train_titanic_model.py) fits a StandardScaler on Age and Fare and an
XGBClassifier on six features of Kaggle's train.csv (891 passengers):
Pclass, Sex_enc, Age, SibSp, Parch, Fare, and saves both with joblib as
titanic_model.pkl for its consumer.

Here the passengers are not read from train.csv (not shipped, not
downloadable on the build machines) but from the events topic that the
benchmark has loaded with `kappa produce` (the same generated passengers that
`kappa train` learns from): the first --count labeled events, 891 by default,
as many as train.csv has. Everything after that is the seed's recipe: Sex
label-encoded (female=0, male=1, LabelEncoder's order), missing ages filled
with the median age, Age and Fare scaled, a default XGBClassifier fitted on
80%, accuracy printed on the other 20%.

Runs with Debian's python3 (python3-kafka, python3-lz4, python3-sklearn,
python3-xgboost, python3-numpy; scripts/bootstrap installs them).

    train_titanic_model.py -b HOST:PORT [--count 891] [--out titanic_model.pkl]
"""
import argparse
import json
import sys

import joblib
import numpy as np
from kafka import KafkaConsumer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier

FEATURES = ["Pclass", "Sex_enc", "Age", "SibSp", "Parch", "Fare"]
SEX_ENC = {"female": 0, "male": 1}  # what sklearn's LabelEncoder gives


def read_labeled(brokers, topic, count, timeout_ms):
    """The first `count` labeled passenger events of `topic`, as feature rows."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=brokers,
        group_id=None,  # no group: read every partition from the start
        auto_offset_reset="earliest",
        consumer_timeout_ms=timeout_ms,
        value_deserializer=lambda m: json.loads(m.decode("utf-8")),
    )
    rows, labels = [], []
    for msg in consumer:
        e = msg.value
        if e.get("Survived") is None:
            continue
        rows.append([e["Pclass"], SEX_ENC[e["Sex"]], e.get("Age"), e.get("SibSp"),
                     e.get("Parch"), e.get("Fare")])
        labels.append(e["Survived"])
        if len(rows) >= count:
            break
    consumer.close()
    return np.array(rows, dtype=float), np.array(labels, dtype=int)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-b", "--brokers", default="localhost:9092")
    parser.add_argument("-t", "--topic", default="titanic-events")
    parser.add_argument("--count", type=int, default=891,
                        help="labeled events to train on (default 891, as train.csv)")
    parser.add_argument("--out", default="titanic_model.pkl")
    parser.add_argument("--timeout-ms", type=int, default=30000,
                        help="give up after this long without an event")
    args = parser.parse_args()

    X, y = read_labeled(args.brokers, args.topic, args.count, args.timeout_ms)
    if len(y) < 20:
        sys.exit(f"train: only {len(y)} labeled events in {args.topic}")
    # df['Age'].fillna(df['Age'].median()), as the seed prepares train.csv;
    # other gaps stay NaN (XGBoost's missing value).
    age = X[:, 2]
    age[np.isnan(age)] = np.nanmedian(age)

    scaler = StandardScaler()
    X[:, [2, 5]] = scaler.fit_transform(X[:, [2, 5]])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    model = XGBClassifier(eval_metric="logloss")
    model.fit(X_train, y_train)
    accuracy = float((model.predict(X_test) == y_test).mean())
    joblib.dump({"model": model, "scaler": scaler, "features": FEATURES}, args.out)
    print(f"trained={len(y)} accuracy={accuracy:.4f} out={args.out}")


if __name__ == "__main__":
    main()
