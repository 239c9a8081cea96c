import pytest
from django.contrib.auth.models import Group

from navigation.roles import CONTENT_EDITORS, COORDINATORS


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
