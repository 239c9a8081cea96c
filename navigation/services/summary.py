"""The structured oncology summary: a PDF for the specialist centre, built with reportlab.

Built from the clinical profile, the latest pre-screen, the document list and the treatment
history; stored in private storage under a random name; rebuilt whenever the profile has
changed since the last build (compared by the profile's `updated_at`).
"""

import hashlib
import io
import logging
import uuid
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from navigation import eligibility
from navigation.eligibility import CRITERIA, outcome_label
from navigation.models import Case, OncologySummary
from navigation.services.cases import case_event_record, missing_record_labels
from records.models import HER2_DISCORDANT_WORDS, ClinicalProfile, Document

logger = logging.getLogger(__name__)

UNKNOWN = "Not known"
CONFIDENTIAL = (
    "Confidential: personal health information, for the receiving clinical team only. "
    "Do not forward."
)
EVIDENCE_LABELS = {c.evidence.value: c.evidence_label for c in CRITERIA}


def _yes_no(value: bool | None) -> str:
    return UNKNOWN if value is None else ("Yes" if value else "No")


def _text(value: object) -> str:
    return UNKNOWN if value in (None, "") else str(value)


def _tnm_part(letter: str, value: str) -> str:
    """A TNM part as given ("T3", "pT3", "ypN1"), with its letter added only to a bare
    value ("3" -> "T3")."""
    value = value.strip()
    return value if letter in value.upper() else f"{letter}{value}"


def profile_rows(profile: ClinicalProfile | None) -> list[tuple[str, str]]:
    """The profile as (question, answer) rows, in the order a clinician reads them."""
    if profile is None:
        return [("Clinical profile", "Not provided")]
    p = profile
    tnm = " ".join(
        _tnm_part(letter, value)
        for letter, value in (("T", p.tnm_t), ("N", p.tnm_n), ("M", p.tnm_m))
        if value
    )
    return [
        ("Diagnosis date", _text(p.diagnosis_date)),
        ("Stage (AJCC group)", _text(p.stage)),
        ("TNM", tnm or UNKNOWN),
        ("Lauren type", _text(p.get_lauren_type_display() if p.lauren_type else "")),
        ("Signet ring cells", _yes_no(p.signet_ring)),
        ("HER2 IHC", _text(p.her2_ihc)),
        ("HER2 ISH", _text(p.get_her2_ish_display() if p.her2_ish else "")),
        ("HER2 status", _text(p.her2_status)),
        *([("HER2 check", str(HER2_DISCORDANT_WORDS))] if p.her2_discordant else []),
        ("ECOG performance status", _text(p.ecog)),
        ("Severe malnutrition / weight loss", _yes_no(p.severe_malnutrition)),
        ("Surgery", _text(p.get_gastrectomy_display() if p.gastrectomy else "")),
        ("Surgery date", _text(p.surgery_date)),
        ("Curative intent", _yes_no(p.curative_intent)),
        ("Distant metastasis", _yes_no(p.metastatic)),
        ("Peritoneal involvement", _yes_no(p.peritoneal_metastasis)),
        ("Completed lines of systemic therapy", _text(p.prior_lines)),
        (
            "First-line regimen",
            _text(p.get_first_line_regimen_display() if p.first_line_regimen else ""),
        ),
        ("Trastuzumab", _yes_no(p.trastuzumab)),
    ]


def _table(rows: list[list], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _prescreen_story(case: Case, para, heading) -> list[Flowable]:
    """The pre-screen in plain labels: outcome, each criterion with its reason, the
    advisories, and the timeline or why there is none."""
    result = case.prescreen_result or {}
    outcome = result.get("outcome", "")
    story: list[Flowable] = [
        para(
            f"Outcome: {outcome_label(outcome)}"
            + (
                " (provisional: answers that could lower it are unknown)"
                if result.get("provisional")
                else ""
            )
            + f". Rule set {result.get('rule_set_version', case.prescreen_rule_set_version)}."
        )
    ]
    criteria = result.get("criteria", [])
    if criteria:
        story.append(
            _table(
                [[para("Criterion"), para("Evidence"), para("For this patient"), para("Why")]]
                + [
                    [
                        para(c.get("factor", c.get("id"))),
                        para(EVIDENCE_LABELS.get(c.get("evidence"), c.get("evidence"))),
                        para(eligibility.STATUS_LABELS.get(c["status"], c["status"])),
                        # Results stored before rule set 2026.12-1 carry no reason.
                        para(c.get("reason") or "—"),
                    ]
                    for c in criteria
                ],
                [45 * mm, 30 * mm, 27 * mm, 68 * mm],
            )
        )
    if result.get("advisories"):
        story.append(Paragraph("Advisories", heading))
        story.extend(para(advisory) for advisory in result["advisories"])
    story.append(Paragraph("Timeline after surgery", heading))
    timeline = result.get("timeline") or {}
    if timeline:
        story.append(
            _table(
                [[para("Step"), para("Date")]]
                + [
                    [para(eligibility.TIMELINE_LABELS.get(key, key)), para(value)]
                    for key, value in timeline.items()
                ],
                [60 * mm, 110 * mm],
            )
        )
    if result:
        story.append(para(eligibility.timeline_explanation(result)))
    return story


def render_summary_pdf(case: Case, documents: list[Document], now: datetime) -> bytes:
    styles = getSampleStyleSheet()
    body, heading = styles["BodyText"], styles["Heading2"]

    def para(text: object) -> Paragraph:
        # Paragraph reads a small markup language: escape what the patient typed.
        escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, body)

    profile = case.patient.clinical_profile
    patient = case.patient
    story: list[Flowable] = [
        Paragraph(f"Oncology summary — case {case.reference}", styles["Title"]),
        para(f"Prepared {now:%Y-%m-%d %H:%M} UTC by the CancerFax navigator care team."),
        Spacer(1, 4 * mm),
        Paragraph("Patient", heading),
        _table(
            [
                [para("Field"), para("Value")],
                [para("Name"), para(patient.full_name)],
                [para("Date of birth"), para(patient.date_of_birth)],
                [para("Country"), para(patient.country)],
                [para("Preferred language"), para(patient.preferred_language)],
            ],
            [60 * mm, 110 * mm],
        ),
        Paragraph("Clinical profile (as reported)", heading),
        _table(
            [[para("Question"), para("Answer")]]
            + [[para(q), para(a)] for q, a in profile_rows(profile)],
            [60 * mm, 110 * mm],
        ),
        Paragraph("Pre-screen against the CIK gastric cancer table", heading),
    ]
    story.extend(_prescreen_story(case, para, heading))
    story.append(Paragraph("Treatment history", heading))
    history = profile.treatment_history.strip() if profile else ""
    story.append(para(history or "None given."))
    story.append(Paragraph("Documents received", heading))
    if documents:
        story.append(
            _table(
                [[para("Category"), para("Uploaded"), para("Size"), para("Scan")]]
                + [
                    [
                        para(d.get_category_display()),
                        para(f"{d.uploaded_at:%Y-%m-%d}"),
                        para(f"{d.size:,} bytes"),
                        para(d.get_status_display()),
                    ]
                    for d in documents
                ],
                [70 * mm, 30 * mm, 35 * mm, 35 * mm],
            )
        )
    else:
        story.append(para("No documents yet."))
    if case.missing_records:
        story.append(Paragraph("Records still missing", heading))
        story.append(para(", ".join(missing_record_labels(case.missing_records))))
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Oncology summary {case.reference}",
        author="CancerFax navigator",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        bottomMargin=25 * mm,
    ).build(story, onFirstPage=_footer, onLaterPages=_footer, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()


def _footer(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    canvas.drawString(20 * mm, 12 * mm, CONFIDENTIAL)
    canvas.restoreState()


class _NumberedCanvas(Canvas):
    """Writes "Page N of M" on each page: pages are held until the total is known."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 8)
            self.drawRightString(A4[0] - 20 * mm, 12 * mm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def summary_is_stale(case: Case) -> bool:
    """True when there is no summary yet or the profile changed after the last build."""
    try:
        summary = case.summary
    except OncologySummary.DoesNotExist:
        return True
    profile = case.patient.clinical_profile
    return profile is not None and profile.updated_at > summary.profile_updated_at


def summary_build(*, case_id: int, force: bool = False) -> OncologySummary | None:
    """Build (or rebuild, when stale) the case's summary PDF. Idempotent: an up-to-date
    summary is left alone. None when the case is gone."""
    now = timezone.now()
    storage = storages["private"]
    old_name = new_name = ""
    try:
        with transaction.atomic():
            case = Case.objects.locked().filter(pk=case_id).first()
            if case is None:
                return None
            existing = OncologySummary.objects.filter(case=case).first()
            if existing is not None and not force and not summary_is_stale(case):
                return existing
            profile = case.patient.clinical_profile
            documents = list(Document.objects.filter(patient_id=case.patient_id))
            pdf = render_summary_pdf(case, documents, now)
            new_name = storage.save(f"summaries/{uuid.uuid4().hex}.pdf", ContentFile(pdf))
            values = {
                "storage_name": new_name,
                "sha256": hashlib.sha256(pdf).hexdigest(),
                "built_at": now,
                "profile_updated_at": profile.updated_at if profile else now,
            }
            if existing is None:
                summary = OncologySummary.objects.create(case=case, **values)
            else:
                old_name = existing.storage_name
                for key, value in values.items():
                    setattr(existing, key, value)
                existing.save(update_fields=list(values))
                summary = existing
            case_event_record(
                case=case, note="Oncology summary " + ("rebuilt." if old_name else "built.")
            )
    except BaseException:
        # The row was not written: the new file must not linger in private storage.
        if new_name:
            storage.delete(new_name)
        raise
    if old_name:
        storage.delete(old_name)
    return summary


def summaries_rebuild_stale() -> int:
    """Rebuild every existing summary whose profile changed since it was built."""
    rebuilt = 0
    for summary in OncologySummary.objects.select_related("case__patient__profile"):
        if summary_is_stale(summary.case):
            summary_build(case_id=summary.case_id)
            rebuilt += 1
    return rebuilt
