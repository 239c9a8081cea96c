"""Small factories for navigation tests: a patient with a profile, a case, a document."""

import hashlib
import itertools
from datetime import date

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from navigation.models import Case
from records.models import ClinicalProfile, Document, DocumentCategory, Patient, ScanStatus

_counter = itertools.count(1)


def make_patient(*, email: str | None = None, full_name: str | None = None, **profile) -> Patient:
    n = next(_counter)
    patient = Patient.objects.create(
        full_name=full_name or f"Patient Number{n}",
        date_of_birth=date(1960, 1, 1),
        relationship="self",
        email=email or f"patient{n}@example.net",
        phone="+442071234567",
        country="United Kingdom",
    )
    defaults = {
        "stage": "III",
        "gastrectomy": ClinicalProfile.Gastrectomy.D2,
        "curative_intent": True,
        "metastatic": False,
        "her2_ihc": "",
        "lauren_type": ClinicalProfile.Lauren.INTESTINAL,
        "signet_ring": False,
        "ecog": 1,
        "severe_malnutrition": False,
        "prior_lines": 0,
    }
    defaults.update(profile)
    ClinicalProfile.objects.create(patient=patient, **defaults)
    return patient


def make_case(**profile) -> Case:
    """A case as a submission leaves it, without running the review."""
    patient = make_patient(**profile)
    return Case.objects.create(patient=patient)


def make_document(
    patient: Patient,
    *,
    category: str = DocumentCategory.PATHOLOGY,
    content: bytes = b"%PDF-1.4\n% pathology report\n",
    status: str = ScanStatus.CLEAN,
) -> Document:
    storage = storages["private"]
    name = storage.save(f"documents/{next(_counter)}.pdf", ContentFile(content))
    return Document.objects.create(
        patient=patient,
        category=category,
        original_name="report.pdf",
        storage_name=name,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content_type="application/pdf",
        status=status,
    )


def bulk_cases(n: int, *, assignee=None, start: int = 0) -> list[Case]:
    """Many cases at once, with varied profiles, an open review task each (queue tests)."""
    from datetime import timedelta

    from django.utils import timezone

    from navigation.models import ReviewTask

    patients = Patient.objects.bulk_create(
        Patient(
            full_name=f"Bulk Patient {start + i}",
            date_of_birth=date(1955, 1, 1),
            relationship="self",
            email=f"bulk{start + i}@example.net",
            phone="+442071234567",
            country="United Kingdom",
        )
        for i in range(n)
    )
    stages = ["IB", "II", "IIIA", "IV", ""]
    ihc = ["0", "1+", "2+", "3+", ""]
    lauren = ["intestinal", "diffuse", "mixed", ""]
    ClinicalProfile.objects.bulk_create(
        ClinicalProfile(
            patient=patient,
            stage=stages[i % len(stages)],
            her2_ihc=ihc[i % len(ihc)],
            lauren_type=lauren[i % len(lauren)],
        )
        for i, patient in enumerate(patients)
    )
    cases = Case.objects.bulk_create(
        Case(
            patient=patient,
            reference=f"CF-B{start + i:07d}",
            assignee=assignee,
            prescreen_outcome=["good", "strong", "insufficient_information"][i % 3],
            missing_records=["her2"] if i % 2 else [],
            missing_records_count=i % 2,
        )
        for i, patient in enumerate(patients)
    )
    now = timezone.now()
    ReviewTask.objects.bulk_create(
        ReviewTask(case=case, assignee=assignee, due_at=now + timedelta(hours=i - n // 2))
        for i, case in enumerate(cases)
    )
    return cases
