"""The scale-out drill: two web instances and two Celery workers sharing one PostgreSQL, Redis
and private storage, as `docker-compose up --scale web=2 --scale worker=2` runs them.

Patients send their submissions through the real intake form, alternately to each web
instance, several at once. Afterwards:

- every submission shown a reference is one stored case, with exactly one review task whose
  coordinators were told once, whichever worker took it (none lost, none duplicated);
- a staff sign-in made on one instance is a valid session on the other, and a portal
  sign-in (a patient's sign-in link, redeemed on one instance) likewise;
- a content revision published through the admin on one instance is what both instances
  serve, although each held the page in its own memory before.

Used by `tests/drills/test_scale_out.py` (a few submissions, in CI) and by `make bench`
(`bench/scale.py`, 200 submissions). The caller starts the processes; this module needs a
Django set up on the same database (to prepare a staff account and a revision, and to count).
"""

from __future__ import annotations

import http.client
import re
import secrets
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.drills import ledger
from tests.navigation.test_intake import valid_answers

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
KEY = re.compile(rb'name="submission_key" value="([^"]+)"')
PAGE = "/cik/gastric-cancer/"


@dataclass
class Answer:
    status: int
    body: bytes
    location: str = ""


class Visitor:
    """One person's browser. Cookies are carried by hand: production marks them Secure, so a
    cookie jar would not send them back over loopback http. The same cookies go to whichever
    instance the visitor talks to, as behind a load balancer."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(
        self, base: str, path: str, data: dict | None = None, timeout: float = 60
    ) -> Answer:
        url = urllib.parse.urlsplit(base)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
        headers = {"Host": url.netloc}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request("POST" if data is not None else "GET", path, body, headers)
            raw = connection.getresponse()
            answer = Answer(raw.status, raw.read(), raw.getheader("Location") or "")
            for key, value in raw.getheaders():
                if key.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return answer
        finally:
            connection.close()

    def follow(self, base: str, answer: Answer) -> Answer:
        if answer.status in (301, 302, 303) and answer.location:
            return self.request(base, urllib.parse.urlsplit(answer.location).path or "/")
        return answer

    def form_token(self, base: str, path: str) -> tuple[Answer, str]:
        page = self.request(base, path)
        found = CSRF.search(page.body)
        if page.status != 200 or not found:
            raise AssertionError(f"{base}{path} gave no form ({page.status})")
        return page, found[1].decode()


# --- preparation, on the shared database ------------------------------------------------------


@dataclass
class Staff:
    username: str
    password: str
    backup_codes: list[str]


def staff_prepare(prefix: str) -> Staff:
    """A content editor who signs in with a password and a backup code (the second factor a
    script can type; the admin takes six digits or a backup code in the same field)."""
    from django.contrib.auth.models import Group, User
    from django_otp.plugins.otp_static.models import StaticDevice

    from cancerfax.roles import CONTENT_EDITORS

    password = secrets.token_urlsafe(18)
    user = User.objects.create_user(
        username=f"{prefix}-editor", password=password, is_staff=True, first_name="Scale"
    )
    user.groups.add(Group.objects.get(name=CONTENT_EDITORS))
    device = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
    codes = [secrets.token_hex(4) for _ in range(3)]
    for code in codes:
        device.token_set.create(token=code)
    return Staff(user.username, password, codes)


def revision_prepare(*, author_name: str, marker: str) -> int:
    """A revision of the CIK gastric cancer page that changes only its subtitle (no medical
    wording), ready to publish. Returns its id."""
    from django.contrib.auth.models import User

    from content.models import InformationPage
    from content.services.revisions import page_draft_open, revision_create

    page = InformationPage.objects.get(path=PAGE, draft_of__isnull=True)
    draft = page_draft_open(page=page)
    draft.subtitle = f"{draft.subtitle} ({marker})"
    draft.save()
    author = User.objects.get(username=author_name)
    return revision_create(draft=draft, author=author, note="Scale-out drill.").pk


# --- the drill --------------------------------------------------------------------------------


@dataclass
class ScaleResult:
    instances: int
    workers: int
    sent: int
    acknowledged_per_instance: list[int]
    tally: ledger.Tally
    review_tasks: int
    reviews_per_worker: list[int]
    submit_seconds: float
    review_seconds: float
    staff_session_on_other: bool
    portal_session_on_other: bool
    edit_visible_on: list[bool]
    edit_seconds: float
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        shown = "+".join(str(n) for n in self.acknowledged_per_instance)
        workers = "+".join(str(n) for n in self.reviews_per_worker)
        t = self.tally
        return (
            f"{self.sent} sent ({shown} acknowledged by the {self.instances} web instances), "
            f"{t.stored} stored, {self.review_tasks} review tasks, {t.reviewed} reviewed "
            f"({workers} by the {self.workers} workers), {t.emails} coordinator emails, "
            f"{t.duplicates} duplicated, {t.lost} lost; staff session valid on the other "
            f"instance: {_yes(self.staff_session_on_other)}, portal session: "
            f"{_yes(self.portal_session_on_other)}; published edit served by "
            f"{sum(self.edit_visible_on)} of {len(self.edit_visible_on)} instances after "
            f"{self.edit_seconds:.1f} s; submissions {self.submit_seconds:.1f} s, all reviewed "
            f"{self.review_seconds:.1f} s later"
        )

    @property
    def passed(self) -> bool:
        return not self.problems


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def _submit(base: str, email: str, name: str) -> str:
    """One patient: open the form on `base`, send it, read the reference shown."""
    visitor = Visitor()
    page, token = visitor.form_token(base, "/submit/")
    key = KEY.search(page.body)
    assert key, "no submission key on the form"
    data = valid_answers(email=email, full_name=name)
    data.update(csrfmiddlewaretoken=token, submission_key=key[1].decode())
    answer = visitor.follow(base, visitor.request(base, "/submit/", data))
    found = ledger.REFERENCE.search(answer.body) if answer.status == 200 else None
    if not found:
        raise AssertionError(f"{base} showed no reference ({answer.status})")
    return found[1].decode()


def _counts(
    prefix: str, worker_logs: Sequence[Path], acknowledged: list[str]
) -> tuple[ledger.Tally, int, list[int]]:
    from navigation.models import Case, CaseEvent, ReviewTask

    mine = Case.objects.filter(patient__email__startswith=f"{prefix}-")
    cases = dict(mine.values_list("reference", "patient__email"))
    tasks = ReviewTask.objects.filter(case__in=mine)
    reviews = Counter(tasks.values_list("case__reference", flat=True))
    notified = set(
        tasks.filter(notified_at__isnull=False).values_list("case__reference", flat=True)
    )
    created = Counter(
        CaseEvent.objects.filter(case__in=mine, note__contains="Review task created").values_list(
            "case__reference", flat=True
        )
    )
    per_worker = [ledger.emails_in(_read(log)) for log in worker_logs]
    emails = Counter()
    for found in per_worker:
        emails.update({ref: n for ref, n in found.items() if ref in cases})
    tally = ledger.tally(
        acknowledged=acknowledged,
        cases=cases,
        reviews=reviews,
        notified=notified,
        created_events=created,
        emails=emails,
    )
    split = [sum(n for ref, n in found.items() if ref in cases) for found in per_worker]
    return tally, sum(reviews.values()), split


def _read(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def run(
    *,
    bases: Sequence[str],
    worker_logs: Sequence[Path],
    submissions: int,
    prefix: str = "scale",
    concurrency: int = 8,
    timeout: float = 180,
) -> ScaleResult:
    """Run the drill against running instances (`bases`) and workers (whose output goes to
    `worker_logs`, mail included: the console mail backend)."""
    problems: list[str] = []
    count = len(bases)

    # 1. Patients, alternately on each instance, several at a time.
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [
            pool.submit(_submit, bases[n % count], f"{prefix}-{n}@example.org", f"Patient {n}")
            for n in range(submissions)
        ]
        shown: list[str | None] = []
        for future in futures:
            try:
                shown.append(future.result())
            except (AssertionError, OSError) as exc:
                problems.append(f"a submission failed: {exc}")
                shown.append(None)
    submit_seconds = time.monotonic() - began
    per_instance = [sum(1 for n in range(i, submissions, count) if shown[n]) for i in range(count)]
    acknowledged = [ref for ref in shown if ref]

    # 2. Every case reviewed (its coordinators told) by one of the workers.
    from navigation.models import ReviewTask

    def all_reviewed() -> bool:
        return ReviewTask.objects.filter(
            case__patient__email__startswith=f"{prefix}-", notified_at__isnull=False
        ).count() >= len(acknowledged)

    began = time.monotonic()
    if not _wait(all_reviewed, timeout):
        problems.append("not every case was reviewed in time")
    review_seconds = time.monotonic() - began
    time.sleep(2)  # a duplicate, if there were one, shows itself
    tally, review_tasks, per_worker = _counts(prefix, worker_logs, acknowledged)
    if (tally.lost, tally.duplicates) != (0, 0) or review_tasks != tally.stored:
        problems.append(f"lost or duplicated: {tally}, {review_tasks} review tasks")
    if tally.stored != submissions:
        problems.append(f"{tally.stored} cases stored for {submissions} submissions")

    # 3. A staff session made on the first instance works on the second; there the editor
    #    publishes a revision, and both instances serve it.
    staff = staff_prepare(prefix)
    marker = f"drill edit {secrets.token_hex(4)}"
    revision_id = revision_prepare(author_name=staff.username, marker=marker)
    first, other = bases[0], bases[-1]
    for base in bases:  # each instance holds the page as it was, in its own memory
        before = Visitor().request(base, PAGE)
        assert before.status == 200 and marker.encode() not in before.body
    editor = Visitor()
    _page, token = editor.form_token(first, "/admin/login/")
    signed_in = editor.request(
        first,
        "/admin/login/?next=/admin/",
        {
            "csrfmiddlewaretoken": token,
            "username": staff.username,
            "password": staff.password,
            "otp_device": "",
            "otp_token": staff.backup_codes[0],
        },
    )
    if signed_in.status != 302:
        problems.append(f"staff sign-in on {first} answered {signed_in.status}")
    index = editor.request(other, "/admin/")
    staff_ok = index.status == 200 and b"/admin/logout/" in index.body
    if not staff_ok:
        problems.append(f"the staff session was not valid on {other} ({index.status})")
    change = f"/admin/content/pagerevision/{revision_id}/"
    _page, token = editor.form_token(other, change + "change/")
    published = editor.request(other, change + "publish/", {"csrfmiddlewaretoken": token})
    if published.status != 302:
        problems.append(f"publishing on {other} answered {published.status}")
    began = time.monotonic()
    visible = [False] * count

    def everywhere() -> bool:
        for i, base in enumerate(bases):
            visible[i] = visible[i] or marker.encode() in Visitor().request(base, PAGE).body
        return all(visible)

    if not _wait(everywhere, 15):
        problems.append(f"the published edit was not served by every instance: {visible}")
    edit_seconds = time.monotonic() - began

    # 4. A patient redeems a sign-in link on the second instance; the session is valid on the
    #    first. The link is issued here as the mail task issues it: mail in the workers' output
    #    has its links redacted, as every log line has.
    from navigation.services.portal import portal_link_issue

    patient = Visitor()
    path = f"/portal/signin/{portal_link_issue(email=f'{prefix}-0@example.org')}/"
    _page, token = patient.form_token(other, path)
    redeemed = patient.request(other, path, {"csrfmiddlewaretoken": token})
    cases = patient.request(first, "/portal/")
    portal_ok = (
        redeemed.status == 302 and cases.status == 200 and (shown[0] or "-").encode() in cases.body
    )
    if not portal_ok:
        problems.append(
            f"the portal session made on {other} was not valid on {first}: sign-in answered "
            f"{redeemed.status}, the case list {cases.status}"
        )

    return ScaleResult(
        instances=count,
        workers=len(worker_logs),
        sent=submissions,
        acknowledged_per_instance=per_instance,
        tally=tally,
        review_tasks=review_tasks,
        reviews_per_worker=per_worker,
        submit_seconds=submit_seconds,
        review_seconds=review_seconds,
        staff_session_on_other=staff_ok,
        portal_session_on_other=portal_ok,
        edit_visible_on=visible,
        edit_seconds=edit_seconds,
        problems=problems,
    )
