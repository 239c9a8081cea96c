"""Case review: the pre-screen on a case, the records it still needs, the coordinator's task.

Services called by Celery tasks. Each is safe to run again (a retried or redelivered task):
the review task is unique per case, the coordinators' email is sent under a row lock and
marked in the same transaction, the re-screen updates only rows still on the old rules.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from cancerfax.roles import coordinator_addresses
from navigation import eligibility
from navigation.models import Case, CaseEventKind, Outbox, ReviewTask
from navigation.profiles import engine_profile
from navigation.selectors import coordinator_with_fewest_open_tasks
from navigation.services.cases import case_event_record, missing_record_labels
from navigation.services.outbox import outbox_done
from navigation.services.records_requests import records_requests_receive
from records.models import ClinicalProfile, DocumentCategory, ScanStatus

logger = logging.getLogger(__name__)

REVIEW_DUE = timedelta(hours=48)


def missing_records_for(profile: ClinicalProfile | None, present: set[str]) -> list[str]:
    """Document categories this profile needs that the patient has not uploaded yet.

    Pathology and staging imaging always; the HER2 report unless a test score settles HER2;
    the surgical report after a gastrectomy; the chemotherapy history when lines of treatment
    were given.
    """
    needed = [DocumentCategory.PATHOLOGY]
    # Without an IHC score, HER2 is only what the patient was told: the report settles it.
    if profile is None or not profile.her2_ihc or profile.her2_status == "equivocal":
        needed.append(DocumentCategory.HER2)
    needed.append(DocumentCategory.IMAGING)
    if profile is not None and profile.gastrectomy in (
        ClinicalProfile.Gastrectomy.D2,
        ClinicalProfile.Gastrectomy.OTHER,
    ):
        needed.append(DocumentCategory.SURGERY)
    if profile is not None and (profile.prior_lines or 0) > 0:
        needed.append(DocumentCategory.CHEMOTHERAPY)
    return [str(category) for category in needed if category not in present]


def _present_categories(case: Case) -> set[str]:
    return set(
        case.patient.documents.exclude(status=ScanStatus.INFECTED).values_list(
            "category", flat=True
        )
    )


def case_prescreen_refresh(*, case: Case) -> bool:
    """Re-run the pre-screen and missing-records check on the case. True if the outcome changed."""
    profile = case.patient.clinical_profile
    # The server's local date: the time since surgery and the start window count from it.
    today = timezone.localdate()
    result = eligibility.prescreen(engine_profile(profile, today=today), today=today).as_dict()
    missing = missing_records_for(profile, _present_categories(case))
    old_outcome = case.prescreen_outcome
    case.prescreen_outcome = result["outcome"]
    case.prescreen_result = result
    case.prescreen_rule_set_version = result.get("rule_set_version", eligibility.RULE_SET_VERSION)
    case.prescreen_changed_from = ""
    case.missing_records = missing
    case.missing_records_count = len(missing)
    case.save(
        update_fields=[
            "prescreen_outcome",
            "prescreen_result",
            "prescreen_rule_set_version",
            "prescreen_changed_from",
            "missing_records",
            "missing_records_count",
            "updated_at",
        ]
    )
    return bool(old_outcome) and old_outcome != case.prescreen_outcome


def case_review_open(*, case_id: int, now: datetime | None = None) -> ReviewTask | None:
    """Pre-screen the case, list its missing records, create its review task, tell coordinators.

    None when the case is gone (erased before the task ran).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The row lock serialises a redelivered task with one still running.
        case = Case.objects.locked().filter(pk=case_id).first()
        if case is None:
            logger.info("case %s no longer exists; nothing to review", case_id)
            return None
        # Done when the review task row exists, or when no review is due any more; the
        # outbox row is marked in this same transaction.
        outbox_done(case=case, kind=Outbox.Kind.OPEN_CASE_REVIEW, now=now)
        if case.is_closed:
            # Withdrawn before the task ran: nobody should be asked to review it.
            return None
        task = ReviewTask.objects.filter(case=case, kind=ReviewTask.Kind.INITIAL_REVIEW).first()
        if task is None:
            case_prescreen_refresh(case=case)
            assignee = case.assignee or coordinator_with_fewest_open_tasks()
            task = ReviewTask.objects.create(
                case=case,
                kind=ReviewTask.Kind.INITIAL_REVIEW,
                assignee=assignee,
                due_at=now + REVIEW_DUE,
            )
            if case.assignee_id is None and assignee is not None:
                Case.objects.filter(pk=case.pk).update(assignee=assignee)
            case_event_record(
                case=case,
                note=(
                    f"Pre-screen run (rules {case.prescreen_rule_set_version}): "
                    f"{case.prescreen_outcome}. Missing records: {case.missing_records_count}. "
                    "Review task created"
                    + (f" for {assignee.get_username()}." if assignee else ".")
                ),
            )
    review_task_notify(task_id=task.pk, now=now)
    return task


def _admin_case_url(case: Case) -> str:
    return settings.SITE_URL + reverse("admin:navigation_case_change", args=[case.pk])


def review_task_notify(*, task_id: int, now: datetime | None = None) -> bool:
    """Email the coordinators about a new review task, once. True if this call sent it.

    The mail carries the case reference and a link only, never patient data. It is sent while
    the task row is locked and marked in the same transaction: a crash before the commit means
    the retry sends it again (at least once), never twice from two concurrent runs.
    """
    now = now or timezone.now()
    with transaction.atomic():
        task = (
            ReviewTask.objects.select_for_update(of=("self",))
            .select_related("case")
            .filter(pk=task_id)
            .first()
        )
        if task is None or task.notified_at is not None:
            return False
        recipients = coordinator_addresses()
        if recipients:
            send_mail(
                f"New case to review: {task.case.reference}",
                f"A new case is waiting for review: {task.case.reference}\n\n"
                f"Open it in the coordinator admin: {_admin_case_url(task.case)}\n",
                None,
                recipients,
            )
        else:
            logger.warning("no coordinator address to notify about review task %s", task.pk)
        task.notified_at = now
        task.save(update_fields=["notified_at"])
    return True


def review_tasks_remind(*, now: datetime | None = None) -> int:
    """Remind the assignee (or all coordinators) of review tasks past their due time, once each.

    Each reminder is claimed by a conditional UPDATE before it is sent, so two beat runs never
    send the same one; a crash between claim and send loses that one reminder, which is the
    lesser harm than reminding twice every few minutes.
    """
    now = now or timezone.now()
    sent = 0
    overdue = (
        ReviewTask.objects.overdue(now)
        .filter(reminded_at__isnull=True)
        .select_related("case", "assignee")
    )
    for task in overdue:
        if not ReviewTask.objects.filter(pk=task.pk, reminded_at__isnull=True).update(
            reminded_at=now
        ):
            continue
        to = [task.assignee.email] if task.assignee and task.assignee.email else None
        send_mail(
            f"Review overdue: {task.case.reference}",
            f"The review of case {task.case.reference} was due at {task.due_at:%Y-%m-%d %H:%M} "
            f"UTC.\n\nOpen it: {_admin_case_url(task.case)}\n",
            None,
            to or coordinator_addresses(),
        )
        case_event_record(case=task.case, note="Reminder sent: the review is overdue.")
        sent += 1
    return sent


def cases_rescreen(*, limit: int = 1000) -> int:
    """Re-screen open cases pre-screened under older rules. Returns how many outcomes changed.

    Each case is updated under a row lock, only if it is still on the old rules, so two runs
    never both record the same change.
    """
    version = eligibility.RULE_SET_VERSION
    changed = 0
    stale = (
        Case.objects.open()
        .exclude(prescreen_rule_set_version=version)
        .exclude(prescreen_rule_set_version="")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in list(stale):
        with transaction.atomic():
            case = (
                Case.objects.locked()
                .filter(pk=pk)
                .exclude(prescreen_rule_set_version=version)
                .first()
            )
            if case is None:
                continue
            old_outcome, old_version = case.prescreen_outcome, case.prescreen_rule_set_version
            if case_prescreen_refresh(case=case):
                changed += 1
                Case.objects.filter(pk=case.pk).update(prescreen_changed_from=old_outcome)
                case_event_record(
                    case=case,
                    note=(
                        f"Pre-screen outcome changed from {old_outcome} to "
                        f"{case.prescreen_outcome} (rules {old_version} → "
                        f"{case.prescreen_rule_set_version}): "
                        f"{eligibility.outcome_label(old_outcome)} → "
                        f"{eligibility.outcome_label(case.prescreen_outcome)}."
                    ),
                )
    return changed


def case_missing_records_refresh(*, case: Case, now: datetime | None = None) -> bool:
    """Recompute what the case still misses after new uploads, and mark requested records
    received by uploads made after their request. True when anything changed.

    Called where documents change (a portal upload, the periodic sweep), never by looking
    at the case: opening the case page writes nothing."""
    now = now or timezone.now()
    present = _present_categories(case)
    missing = missing_records_for(case.patient.clinical_profile, present)
    changed = False
    if missing != case.missing_records:
        Case.objects.filter(pk=case.pk).update(
            missing_records=missing, missing_records_count=len(missing), updated_at=now
        )
        case.missing_records, case.missing_records_count = missing, len(missing)
        labels = ", ".join(missing_record_labels(missing)) or "nothing"
        case_event_record(
            case=case,
            kind=CaseEventKind.DOCUMENTS_RECEIVED,
            data={"missing": missing},
            note=f"New documents received. Still missing: {labels}.",
        )
        changed = True
    if records_requests_receive(case=case, now=now):
        changed = True
    return changed


def cases_missing_records_refresh(*, limit: int = 1000) -> int:
    """For beat: open cases that miss records and got documents since they last changed."""
    stale = (
        Case.objects.open()
        .filter(patient__documents__uploaded_at__gt=F("updated_at"))
        .distinct()
        .values_list("pk", flat=True)[:limit]
    )
    refreshed = 0
    for case in Case.objects.filter(pk__in=list(stale)).select_related("patient"):
        refreshed += case_missing_records_refresh(case=case)
        # Checked now: the same uploads do not bring the case back on the next run.
        Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
    return refreshed
