"""Measure 5: submission commit → review task started by a live Celery worker.

Runs in the bench process (Django set up against the bench's PostgreSQL and Redis). Each
round saves a submission with the intake's service (`intake_submit`: patient, profile,
consent, case and outbox row in one transaction), notes the time right after commit (an
on_commit hook registered first, so it runs before the outbox hands the task to the
broker), and waits for the worker's own stamp that `navigation.open_case_review` started
on that case (`bench/worker.py`). The next round starts when that task has finished, so
every round meets an idle worker: this is latency, not queueing. The figures also split the
time: outbox claim and read, the publish itself, and broker to worker start.

The reference: a raw Redis LPUSH → BRPOP round trip between two processes, same Redis.
Submissions and reference take turns in rounds (at least three); each round gives its own
p50 ratio, reported as the median and range of the rounds. Also reported: commit → review
done (the worker's stamp when the task finished).

Every blocking pop blocks for at most BLOCK_S seconds on a connection whose socket timeout
is longer: a 60 s BLPOP on a client with a 5 s socket timeout raised TimeoutError under load.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import statistics
import subprocess
import sys
import time
from datetime import date

from bench.harness import Check, median_range, noise_note, percentile, spread

TASK = "navigation.open_case_review"
STARTED = "bench:task-started"
DONE = "bench:task-done"
ROUNDS = 3
BLOCK_S = 2  # the longest any BLPOP/BRPOP blocks; waits loop until their deadline
SOCKET_TIMEOUT_S = BLOCK_S + 10  # longer than any block, so a quiet wait is not an error

# A second process pops what we push and pushes back when it got it.
_ECHO = """
import sys, time, redis
r = redis.Redis.from_url(sys.argv[1], socket_timeout=45)
r.rpush("bench:echo-ready", 1)
while True:
    item = r.brpop("bench:ping", timeout=30)
    if item is None or item[1] == b"stop":
        break
    r.lpush("bench:pong", repr(time.time()))
"""


def redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=5)


def redis_round_trips(url: str, *, rounds: int = 400) -> list[float]:
    """Seconds from LPUSH in this process to BRPOP returning in another."""
    client = redis_client(url)
    client.delete("bench:ping", "bench:pong", "bench:echo-ready")
    echo = subprocess.Popen([sys.executable, "-c", _ECHO, url])
    try:
        if _pop(client, "bench:echo-ready", 20) is None:
            raise RuntimeError("the Redis echo process did not start")
        samples = []
        for _ in range(rounds):
            start = time.time()
            client.lpush("bench:ping", b"x")
            item = _pop(client, "bench:pong", 10)
            if item is None:
                raise RuntimeError("the Redis echo process stopped answering")
            samples.append(float(item[1]) - start)
        client.lpush("bench:ping", b"stop")
        echo.wait(timeout=10)
        return samples
    finally:
        if echo.poll() is None:
            echo.kill()
            echo.wait()


def _submit(number: int, marks: dict[str, float]) -> int:
    """Save one submission through the intake's own service; returns the case's pk.

    `marks` gets the time just after commit, from a hook registered before the intake's, so
    it runs before the outbox publishes; the publish signals add theirs.
    """
    from django.db import transaction

    from navigation.services.intake import intake_submit
    from records.consent import CONSENT_VERSION

    marks.clear()
    with transaction.atomic():
        transaction.on_commit(lambda: marks.__setitem__("commit", time.time()))
        case = intake_submit(
            contact={
                "full_name": f"Bench Patient {number}",
                "date_of_birth": date(1960, 1, 1),
                "relationship": "self",
                "email": f"bench-{number}@example.org",
                "phone": "+442071838750",
                "country": "United Kingdom",
            },
            profile={"stage": "IIIA", "gastrectomy": "d2", "her2_ihc": "1+", "ecog": 1},
            consent_version=CONSENT_VERSION,
            draft=None,
        )
    return case.pk


def _pop(client, key: str, timeout: float):
    """BLPOP in blocks of at most BLOCK_S seconds until `timeout`; None if nothing came."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        item = client.blpop(key, timeout=min(BLOCK_S, max(1, math.ceil(left))))
        if item is not None:
            return item
    return None


def _wait_for(client, key: str, case_id: int, timeout: float) -> float | None:
    """The worker's stamp for our task on this case; other tasks' stamps are skipped."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        item = _pop(client, key, left)
        if item is None:
            return None
        stamp = json.loads(item[1])
        if stamp["task"] == TASK and stamp["args"][:1] == [case_id]:
            return stamp["at"]
    return None


def _median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.2f} ms" if values else "–"


def measure_queue_latency(*, rounds: int = 200, budget_s: float = 60.0) -> list[Check]:
    from celery.signals import after_task_publish, before_task_publish
    from django.conf import settings

    from navigation.models import ReviewTask

    broker = settings.CELERY_BROKER_URL
    stamps = redis_client(os.environ["BENCH_REDIS_URL"])
    stamps.delete(STARTED, DONE)

    # Where the time goes on the publishing side: claimed and read (before publish), on the
    # broker (after publish). Weak receivers would vanish: keep these referenced.
    marks: dict[str, float] = {}

    def before(sender=None, **_) -> None:
        if sender == TASK:
            marks["publishing"] = time.time()

    def after(sender=None, **_) -> None:
        if sender == TASK:
            marks["published"] = time.time()

    before_task_publish.connect(before, weak=False)
    after_task_publish.connect(after, weak=False)
    try:
        # The bench mails to the console: 200 patient confirmations would bury the table.
        with contextlib.redirect_stdout(io.StringIO()):
            return _rounds(stamps, marks, broker, rounds, budget_s, ReviewTask)
    finally:
        before_task_publish.disconnect(before)
        after_task_publish.disconnect(after)


def _rounds(stamps, marks, broker, rounds, budget_s, review_task_model) -> list[Check]:
    # The worker must be up before the clock starts: the first submission waits for it.
    case_id = _submit(0, marks)
    if _wait_for(stamps, STARTED, case_id, 60) is None:
        reason = "no live worker started the review task within 60 s"
        return [
            Check("5 queue latency", "p50 vs Redis p50", None, "<=", 15, note=reason),
            Check("5 queue latency", "p99", None, "<", 50, "ms", note=reason),
        ]
    _wait_for(stamps, DONE, case_id, 30)

    latencies: list[float] = []
    done: list[float] = []
    ratios: list[float] = []
    phases: dict[str, list[float]] = {"claim": [], "publish": [], "pickup": [], "row": []}
    reference: list[float] = []
    lost = 0
    number = 0
    per_round = max(1, rounds // ROUNDS)
    # Submissions and the Redis reference take turns, so both see the same machine load.
    for _round in range(ROUNDS):
        deadline = time.monotonic() + budget_s / ROUNDS
        these: list[float] = []
        for _ in range(per_round):
            if time.monotonic() > deadline:
                break
            number += 1
            case_id = _submit(number, marks)
            started_at = _wait_for(stamps, STARTED, case_id, 10)
            if started_at is None:
                lost += 1
                continue
            committed_at = marks["commit"]
            these.append(started_at - committed_at)
            if "publishing" in marks and "published" in marks:
                phases["claim"].append(marks["publishing"] - committed_at)
                phases["publish"].append(marks["published"] - marks["publishing"])
                phases["pickup"].append(started_at - marks["published"])
            done_at = _wait_for(stamps, DONE, case_id, 10)
            if done_at is not None:
                done.append(done_at - committed_at)
            task = review_task_model.objects.filter(case_id=case_id).only("created_at").first()
            if task is not None:
                phases["row"].append(task.created_at.timestamp() - committed_at)
        trips = redis_round_trips(broker, rounds=max(50, per_round))
        reference.extend(trips)
        if these:
            latencies.extend(these)
            ratios.append(statistics.median(these) / statistics.median(trips))

    if not ratios:
        reason = "no submission's task started within 10 s"
        return [
            Check("5 queue latency", "p50 vs Redis p50", None, "<=", 15, note=reason),
            Check("5 queue latency", "p99", None, "<", 50, "ms", note=reason),
        ]
    p99 = percentile(latencies, 0.99)
    ref_p50 = statistics.median(reference)
    ref_p99 = percentile(reference, 0.99)
    figures = (
        f"p50 ratio per round {spread(ratios, unit='×')}; "
        f"commit→task started p50 {_median_ms(latencies)}, p99 {p99 * 1000:.2f} ms; "
        f"commit→review done p50 {_median_ms(done)}"
        + (f", p99 {percentile(done, 0.99) * 1000:.2f} ms" if done else "")
        + f" ({len(latencies)} submissions"
        + (f", {lost} never started" if lost else "")
        + f"); Redis push→pop p50 {ref_p50 * 1000:.3f} ms, p99 {ref_p99 * 1000:.3f} ms; "
        f"p50 split: outbox claim+read {_median_ms(phases['claim'])}, "
        f"publish {_median_ms(phases['publish'])}, "
        f"broker→worker start {_median_ms(phases['pickup'])}; "
        f"commit→review task row p50 {_median_ms(phases['row'])}"
    )
    ratio = median_range(ratios)[0]
    checks = [
        Check(
            "5 queue latency",
            "p50 vs Redis p50",
            ratio,
            "<=",
            15,
            figures=figures,
            note=noise_note(ratios, 15),
        ),
        Check("5 queue latency", "p99", p99 * 1000, "<", 50, "ms", figures="see above"),
    ]
    if lost:
        checks[0].note = "; ".join(
            n
            for n in (checks[0].note, f"{lost} submissions' tasks did not start within 10 s")
            if n
        )
    return checks
