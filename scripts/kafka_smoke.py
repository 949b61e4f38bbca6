#!/usr/bin/env python3
"""Kafka round trip against a running broker: produce N messages, consume them back.

    scripts/broker.sh start                      # prints 127.0.0.1:9092
    scripts/broker.sh topic smoke 3              # create topics before producing
    python3 scripts/kafka_smoke.py --topic smoke --messages 1000

Uses PyPI `confluent-kafka` (librdkafka inside the wheel; scripts/requirements-test.txt),
an independent client from the one Tripline links, so it can check the broker and,
later, the service's output.

- Producer: idempotent, acks=all, keyed messages (keys spread over the partitions).
  Every value carries this run's id and a sequence number, so messages left in a
  reused topic by earlier runs are told apart ("foreign") and not counted.
  The topic must exist (checked first); allow.auto.create.topics=false, because tansu
  would otherwise create a missing topic on produce, with 4 partitions.
- Consumer: a consumer group (a fresh one unless --group is given),
  enable.auto.commit=false, auto.offset.reset=earliest, session.timeout.ms=6000
  (tansu holds a new group's first JoinGroup for half the session timeout: ~3 s here,
  ~23 s at librdkafka's default 45 s). Offsets are committed by hand
  (synchronously) after each polled batch, and at the end the committed offset of each
  partition is read back from the broker and compared with the last offset consumed + 1.
  Lag is computed from our own counts and committed offsets, not from watermarks
  (tansu was seen reporting wrong high watermarks, see issue 22).
- --resume-check K: after the first consumer closed, produce K more and consume with
  a second consumer in the same group: it must get exactly those K (resume from the
  committed offsets, nothing before them again).

Prints one JSON object on stdout (counts and timings; progress goes to stderr) and
exits 1 on any mismatch: a missing topic, a delivery failure, a missing or duplicated
message, a committed offset that is not where consumption stopped, or a timeout.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid

try:
    from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient
except ImportError:  # say how to get it instead of a bare traceback
    sys.exit("kafka_smoke.py needs confluent-kafka: python3 -m pip install -r scripts/requirements-test.txt")


def log(msg: str) -> None:
    print(f"kafka_smoke: {msg}", file=sys.stderr, flush=True)


def produce(bootstrap: str, topic: str, run: str, start: int, count: int, size: int) -> dict:
    """Produce messages start..start+count; return delivery counts per partition."""
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,  # implies acks=all; stated for the reader
        "acks": "all",
        "linger.ms": 5,
        # This tansu build auto-creates a missing topic on produce (with 4 partitions);
        # a smoke test must not invent topics.
        "allow.auto.create.topics": False,
    })
    delivered: dict[int, int] = {}
    failed: list[str] = []

    def on_delivery(err, msg):
        if err is not None:
            failed.append(str(err))
        else:
            delivered[msg.partition()] = delivered.get(msg.partition(), 0) + 1

    pad = "x" * max(0, size)
    t0 = time.monotonic()
    for seq in range(start, start + count):
        value = json.dumps({"run": run, "seq": seq, "pad": pad}).encode()
        while True:
            try:
                producer.produce(topic, key=f"k{seq}".encode(), value=value, on_delivery=on_delivery)
                break
            except BufferError:  # local queue full: serve callbacks, then retry
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(60)
    secs = time.monotonic() - t0
    if remaining:
        failed.append(f"{remaining} messages still queued after flush(60)")
    n_ok = sum(delivered.values())
    log(f"produced {n_ok}/{count} in {secs:.2f}s ({n_ok / secs if secs else 0:.0f} msg/s), failures {len(failed)}")
    return {"delivered": n_ok, "per_partition": delivered, "failures": failed[:5],
            "n_failures": len(failed), "seconds": round(secs, 3)}


def consume(bootstrap: str, topic: str, group: str, run: str, expect: set[int], timeout: float,
            session_ms: int) -> dict:
    """Consume until every seq in `expect` arrived (or timeout), committing by hand."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        # tansu answers a new member's first JoinGroup only after half the session
        # timeout: librdkafka's default 45 s costs ~23 s before the first message.
        "session.timeout.ms": session_ms,
        "heartbeat.interval.ms": max(100, session_ms // 3),
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
    })
    seen: dict[int, int] = {}
    foreign = 0
    last_offset: dict[int, int] = {}
    first_latency = None
    commits = 0
    t0 = time.monotonic()
    consumer.subscribe([topic])
    try:
        while time.monotonic() - t0 < timeout and not expect.issubset(seen):
            batch = consumer.consume(num_messages=500, timeout=0.5)
            if not batch:
                continue
            for msg in batch:
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    raise KafkaException(msg.error())
                if first_latency is None:
                    first_latency = time.monotonic() - t0
                    log(f"group {group}: first message {first_latency:.2f}s after subscribe")
                last_offset[msg.partition()] = msg.offset()
                try:
                    body = json.loads(msg.value())
                except ValueError:
                    body = {}
                if body.get("run") == run:
                    seen[body["seq"]] = seen.get(body["seq"], 0) + 1
                else:
                    foreign += 1
            # Manual commit after the batch is processed: at least once.
            consumer.commit(asynchronous=False)
            commits += 1
        secs = time.monotonic() - t0
        # Read the commits back from the broker: they must sit right after the last
        # message consumed in each partition.
        parts = [TopicPartition(topic, p) for p in sorted(last_offset)]
        committed = {tp.partition: tp.offset for tp in consumer.committed(parts, timeout=10)} if parts else {}
    finally:
        consumer.close()  # leaves the group at once instead of after session timeout
    commit_errors = [f"partition {p}: committed {committed.get(p)} != last consumed {o} + 1"
                     for p, o in sorted(last_offset.items()) if committed.get(p) != o + 1]
    got = set(seen) & expect
    dups = sum(c - 1 for c in seen.values() if c > 1)
    log(f"group {group}: consumed {len(got)}/{len(expect)} in {secs:.2f}s, duplicates {dups}, foreign {foreign}")
    return {
        "group": group,
        "consumed": len(got),
        "missing": len(expect - got),
        "unexpected": len(set(seen) - expect),
        "duplicates": dups,
        "foreign": foreign,
        "first_message_s": None if first_latency is None else round(first_latency, 3),
        "seconds": round(secs, 3),
        "commits": commits,
        "committed": committed,
        "commit_errors": commit_errors,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bootstrap", default=os.environ.get("TRIPLINE_BROKERS", "127.0.0.1:9092"),
                    help="bootstrap servers (default $TRIPLINE_BROKERS or 127.0.0.1:9092)")
    ap.add_argument("--topic", required=True, help="an existing topic (scripts/broker.sh topic NAME N)")
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--size", type=int, default=100, help="padding bytes per message")
    ap.add_argument("--group", default=None, help="consumer group (default: a fresh one per run)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per consume phase")
    ap.add_argument("--session-timeout-ms", type=int, default=6000,
                    help="consumer session.timeout.ms (default 6000, the smallest stock Kafka accepts; "
                         "tansu delays a new group's first message by half of it)")
    ap.add_argument("--resume-check", type=int, default=0, metavar="K",
                    help="then produce K more and check a second consumer of the group gets exactly them")
    args = ap.parse_args()

    run = uuid.uuid4().hex[:12]
    group = args.group or f"kafka-smoke-{run}"
    report: dict = {"bootstrap": args.bootstrap, "topic": args.topic, "run": run, "messages": args.messages,
                    "session_timeout_ms": args.session_timeout_ms}
    ok = True

    # Fail clearly on a missing topic instead of timing out (or, without the producer
    # setting above, having tansu create it with its own partition count).
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    topics = admin.list_topics(timeout=10).topics
    if args.topic not in topics:
        log(f"topic {args.topic!r} does not exist on {args.bootstrap}: scripts/broker.sh topic {args.topic} 3")
        return 1
    report["partitions"] = len(topics[args.topic].partitions)

    p = produce(args.bootstrap, args.topic, run, 0, args.messages, args.size)
    report["produce"] = p
    ok &= p["delivered"] == args.messages and p["n_failures"] == 0

    c = consume(args.bootstrap, args.topic, group, run, set(range(args.messages)), args.timeout,
                args.session_timeout_ms)
    report["consume"] = c
    ok &= c["consumed"] == args.messages and c["duplicates"] == 0 and c["unexpected"] == 0 and not c["commit_errors"]

    if args.resume_check > 0:
        k = args.resume_check
        p2 = produce(args.bootstrap, args.topic, run, args.messages, k, args.size)
        c2 = consume(args.bootstrap, args.topic, group, run, set(range(args.messages, args.messages + k)),
                     args.timeout, args.session_timeout_ms)
        # Anything from the first phase seen again means the group did not resume
        # from its committed offsets.
        report["resume"] = {"produce": p2, "consume": c2}
        ok &= (p2["delivered"] == k and c2["consumed"] == k and c2["duplicates"] == 0
               and c2["unexpected"] == 0 and not c2["commit_errors"])

    report["ok"] = bool(ok)
    print(json.dumps(report, sort_keys=True))
    if not ok:
        log("MISMATCH (see the JSON report)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
