"""Erasure from the case page: a coordinator confirms on its own page, then nothing of the
patient is left; a content editor, or staff without the delete permission, cannot."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.storage import storages
from django.test import Client
from django.urls import reverse

from navigation.models import Case
from navigation.services.portal import case_withdraw
from records.models import AuditEvent
from tests.conftest import STAFF_PASSWORD, staff_client
from tests.navigation.factories import make_case, make_document
from tests.security import canary


def erase_url(case: Case) -> str:
    return reverse("admin:navigation_case_erase", args=[case.pk])


@pytest.mark.django_db
def test_the_case_page_offers_erasure_to_a_coordinator(coordinator_client):
    case = make_case()
    page = coordinator_client.get(reverse("admin:navigation_case_change", args=[case.pk]))
    assert erase_url(case) in page.content.decode()


@pytest.mark.django_db
def test_the_confirmation_page_says_what_goes_and_erases_nothing(coordinator_client):
    case = make_case()
    make_document(case.patient)
    case_withdraw(case=case, erase=True)
    response = coordinator_client.get(erase_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.reference in html and case.patient.full_name in html
    assert "The patient asked for erasure on" in html
    assert "Documents: 1;" in html
    assert 'name="post" value="yes"' in html
    assert Case.objects.filter(pk=case.pk).exists()
    # The page shows the patient's name: that look is on the audit trail.
    [row] = AuditEvent.objects.all()
    assert row.patient_ref == case.patient.public_id and row.target == "erasure page"


@pytest.mark.django_db
def test_the_page_warns_when_the_patient_never_asked(coordinator_client):
    case = make_case()
    html = coordinator_client.get(erase_url(case)).content.decode()
    assert "No erasure request from the patient" in html


@pytest.mark.django_db
def test_a_post_without_the_confirmation_erases_nothing(coordinator_client):
    case = make_case()
    response = coordinator_client.post(erase_url(case), {})
    assert response.status_code == 200
    assert Case.objects.filter(pk=case.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_confirmed_erasure_leaves_nothing_of_the_patient(
    coordinator, coordinator_client, django_capture_on_commit_callbacks
):
    case = canary.journey(coordinator, django_capture_on_commit_callbacks)
    stored = [d.storage_name for d in case.patient.documents.all()]
    stored.append(case.summary.storage_name)
    # The journey left the patient everywhere, and asked for erasure in the portal.
    assert canary.database_hits() and canary.storage_hits() and canary.session_hits()
    assert case.events.filter(note__icontains="erased").exists()

    assert coordinator_client.get(erase_url(case)).status_code == 200
    response = coordinator_client.post(erase_url(case), {"post": "yes"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:navigation_case_changelist")
    assert f"Case {case.reference} and everything about its patient is erased." in (
        response.content.decode()
    )
    assert not Case.objects.filter(pk=case.pk).exists()
    assert canary.database_hits() == []
    assert canary.session_hits() == []
    assert canary.storage_hits() == []
    assert not any(storages["private"].exists(name) for name in stored)


@pytest.mark.django_db
def test_a_content_editor_gets_403_and_the_case_stays(editor_client):
    case = make_case()
    assert editor_client.get(erase_url(case)).status_code == 403
    assert editor_client.post(erase_url(case), {"post": "yes"}).status_code == 403
    assert Case.objects.filter(pk=case.pk).exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_staff_who_may_not_delete_patients_see_no_button_and_get_403():
    case = make_case()
    reader = User.objects.create_user("reader", password=STAFF_PASSWORD, is_staff=True)
    reader.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_case", "change_case", "view_patient", "view_document"]
        )
    )
    client = staff_client(Client(), reader)
    page = client.get(reverse("admin:navigation_case_change", args=[case.pk]))
    assert page.status_code == 200
    assert erase_url(case) not in page.content.decode()
    assert client.post(erase_url(case), {"post": "yes"}).status_code == 403
    assert Case.objects.filter(pk=case.pk).exists()


@pytest.mark.django_db
def test_a_superuser_can_erase(superuser_client):
    case = make_case()
    response = superuser_client.post(erase_url(case), {"post": "yes"})
    assert response.status_code == 302
    assert not Case.objects.filter(pk=case.pk).exists()
