#!/usr/bin/python3
"""The seed demo's consumer, rebuilt for scripts/bench: the design kappa
replaces, measured on the same events and broker as `kappa infer`.

As the seed's consumer/consume_and_score.py does
(shared/seeds/kafka-xgboost-titanic-demo.md, "Kafka -> Consumer"):
- a kafka-python KafkaConsumer on titanic-events with a JSON
  value_deserializer, auto_offset_reset='earliest', enable_auto_commit=True,
  read message by message (`for msg in consumer`);
- events collected into batches of 10; per batch a 10x6 numpy array of
  Pclass, Sex_enc, Age, SibSp, Parch, Fare, `scaler.transform` on the Age and
  Fare columns, `model.predict` (XGBClassifier, default threads);
- every event predicted survived=1 sent as it is to titanic-alerts with a
  KafkaProducer(value_serializer=json);
- the seed's Prometheus metrics (python3-prometheus-client is in Debian):
  transactions_processed_total, survived_detected_total,
  processing_latency_seconds, survival_rate, updated per batch; the HTTP
  endpoint only with --metrics-port > 0 (the benchmark runs without it, as it
  runs `kappa infer --metrics-port 0`).

Differences from the seed, all needed to run it on kappa's events and to
measure it:
- the events are design.md's (Sex "male"/"female", nullable numbers), not the
  seed's pre-encoded rows: Sex is mapped to Sex_enc here (female=0, male=1,
  as the training's LabelEncoder), and a null becomes NaN, which the scaler
  passes through and XGBoost takes as missing;
- brokers, topics, group and model path are flags (the seed hard-codes them);
- --predict-threads N sets XGBClassifier's n_jobs; by default it is left as
  the seed leaves it (XGBoost's default: OpenMP threads on every core);
- --count N stops after N events (or --max-seconds after the first one): the
  last partial batch is scored, the producer flushed, and one summary line
  printed (stdout):
    consumed=N alerts=N batches=N seconds=S events_per_second=R join_seconds=J
  where seconds run from the first message to the last alert acknowledged
  (the group join before the first message is join_seconds, not counted).

    consume_and_score.py -b HOST:PORT --model titanic_model.pkl [--count N]
"""
import argparse
import json
import sys
import time

import joblib
import numpy as np
from kafka import KafkaConsumer, KafkaProducer
from prometheus_client import Counter, Gauge, Histogram, start_http_server

SEX_ENC = {"female": 0, "male": 1}

TRANSACTIONS_PROCESSED = Counter("transactions_processed_total", "Events processed")
SURVIVED_DETECTED = Counter("survived_detected_total", "Events predicted survived=1")
PROCESS_LATENCY = Histogram("processing_latency_seconds", "Inference latency per batch")
SURVIVAL_RATE = Gauge("survival_rate", "Share of events predicted survived=1, percent")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-b", "--brokers", default="localhost:9092")
    parser.add_argument("-t", "--topic", default="titanic-events")
    parser.add_argument("--alerts-topic", default="titanic-alerts")
    parser.add_argument("--group", default="titanic-consumer-group")
    parser.add_argument("--model", default="titanic_model.pkl")
    parser.add_argument("--batch", type=int, default=10, help="events per inference (seed: 10)")
    parser.add_argument("--count", type=int, default=0, help="stop after N events (0: never)")
    parser.add_argument("--max-seconds", type=float, default=0,
                        help="with --count: stop this long after the first event (0: no limit)")
    parser.add_argument("--predict-threads", type=int, default=0,
                        help="XGBClassifier n_jobs (default 0: XGBoost's default, all cores, "
                             "as the seed)")
    parser.add_argument("--metrics-port", type=int, default=8000, help="0: no endpoint")
    parser.add_argument("--timeout-ms", type=int, default=60000,
                        help="with --count: give up after this long without an event")
    args = parser.parse_args()

    saved = joblib.load(args.model)
    model, scaler = saved["model"], saved["scaler"]
    if args.predict_threads > 0:
        model.set_params(n_jobs=args.predict_threads)
    if args.metrics_port > 0:
        start_http_server(args.metrics_port)

    started = time.time()
    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.brokers,
        group_id=args.group,
        auto_offset_reset="earliest",
        enable_auto_commit=True,
        value_deserializer=lambda m: json.loads(m.decode("utf-8")),
        consumer_timeout_ms=args.timeout_ms if args.count > 0 else float("inf"),
    )
    producer = KafkaProducer(
        bootstrap_servers=args.brokers,
        value_serializer=lambda v: json.dumps(v).encode("utf-8"),
    )

    consumed = alerts = batches = 0
    first = None
    out_of_time = False
    batch = []

    def score(batch):
        nonlocal alerts, batches
        start = time.time()
        X_batch = np.array([[e["Pclass"], SEX_ENC[e["Sex"]], e["Age"], e["SibSp"], e["Parch"],
                             e["Fare"]] for e in batch], dtype=float)
        X_batch[:, [2, 5]] = scaler.transform(X_batch[:, [2, 5]])
        y_pred = model.predict(X_batch)
        for e, survived in zip(batch, y_pred):
            if survived:
                producer.send(args.alerts_topic, e)
                SURVIVED_DETECTED.inc()
                alerts += 1
        TRANSACTIONS_PROCESSED.inc(len(batch))
        PROCESS_LATENCY.observe(time.time() - start)
        batches += 1
        SURVIVAL_RATE.set(100.0 * alerts / (consumed or 1))

    for msg in consumer:
        if first is None:
            first = time.time()
        batch.append(msg.value)
        consumed += 1
        if len(batch) >= args.batch:
            score(batch)
            batch = []
        if args.count > 0 and consumed >= args.count:
            break
        if args.max_seconds > 0 and time.time() - first >= args.max_seconds:
            out_of_time = True
            break
    if batch:
        score(batch)
    producer.flush()
    end = time.time()
    consumer.close()
    producer.close()
    if args.count > 0:
        seconds = end - first if first is not None else 0.0
        print(f"consumed={consumed} alerts={alerts} batches={batches} seconds={seconds:.3f} "
              f"events_per_second={consumed / seconds if seconds > 0 else 0:.0f} "
              f"join_seconds={(first or end) - started:.3f}")
        if consumed < args.count and not out_of_time:
            sys.exit(f"consume_and_score: {consumed} of {args.count} events within the timeout")


if __name__ == "__main__":
    main()
