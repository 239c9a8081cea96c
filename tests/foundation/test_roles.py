import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from cancerfax.roles import CONTENT_EDITORS, COORDINATORS, coordinator_addresses, staff_member


@pytest.mark.django_db
def test_both_roles_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {COORDINATORS, CONTENT_EDITORS}


@pytest.mark.django_db
def test_content_editors_hold_no_patient_data_permission():
    editors = Group.objects.get(name=CONTENT_EDITORS)
    labels = set(editors.permissions.values_list("content_type__app_label", flat=True))
    assert labels <= {"content"}


@pytest.mark.django_db
def test_a_new_staff_account_reaches_the_admin_through_its_role(editor_client):
    response = editor_client.get("/admin/")
    assert response.status_code == 200
    assert b"Content" in response.content


@pytest.mark.django_db
def test_coordinator_mail_goes_to_active_coordinators_and_the_configured_addresses(
    coordinator, settings
):
    settings.COORDINATOR_EMAILS = ["desk@example.org", coordinator.email]
    group = Group.objects.get(name=COORDINATORS)
    users = get_user_model().objects
    left = users.create_user("left", email="left@example.org", is_staff=True, is_active=False)
    nameless = users.create_user("nameless", email="", is_staff=True)
    editor = users.create_user("ed", email="ed@example.org", is_staff=True)
    group.user_set.add(left, nameless)
    editor.groups.add(Group.objects.get(name=CONTENT_EDITORS))

    assert coordinator_addresses() == ["coordinator@example.org", "desk@example.org"]


@pytest.mark.django_db
def test_work_on_a_staff_page_is_credited_to_the_signed_in_member(coordinator):
    request = RequestFactory().post("/admin/")
    request.user = coordinator
    assert staff_member(request) == coordinator


def test_work_on_a_staff_page_without_a_signed_in_member_is_refused():
    request = RequestFactory().post("/admin/")
    request.user = AnonymousUser()
    with pytest.raises(PermissionDenied):
        staff_member(request)
