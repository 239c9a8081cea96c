import datetime

import pytest
import time_machine

from records.forms import (
    ClinicalProfileForm,
    ContactForm,
)

from .conftest import CONTACT

TODAY = datetime.date(2026, 11, 28)

PROFILE = {
    "diagnosis_date": "2026-03-01",
    "stage": "IIIA",
    "lauren_type": "diffuse",
    "signet_ring": "true",
    "her2_ihc": "2+",
    "her2_ish": "unknown",
    "her2_reported_status": "unknown",
    "ecog": "1",
    "severe_malnutrition": "false",
    "gastrectomy": "d2",
    "surgery_date": "2026-04-10",
    "curative_intent": "true",
    "metastatic": "false",
    "peritoneal_metastasis": "unknown",
    "prior_lines": "1",
    "first_line_regimen": "XELOX",
    "trastuzumab": "unknown",
}


def test_contact_form_stores_the_phone_number_in_international_form():
    form = ContactForm(CONTACT)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+442079460958"


@pytest.mark.parametrize("phone", ["12345", "0958", "+44 1", "call me"])
def test_contact_form_refuses_what_cannot_be_a_phone_number_of_the_country(phone):
    form = ContactForm({**CONTACT, "phone": phone})
    assert not form.is_valid()
    assert "phone" in form.errors


@time_machine.travel(TODAY)
def test_contact_form_refuses_a_birth_date_in_the_future():
    form = ContactForm({**CONTACT, "date_of_birth": "2027-01-01"})
    assert not form.is_valid()
    assert "future" in form.errors["date_of_birth"][0]


def test_a_relative_must_give_their_own_name():
    form = ContactForm({**CONTACT, "contact_name": ""})
    assert not form.is_valid()
    assert "contact_name" in form.errors
    assert ContactForm({**CONTACT, "relationship": "self", "contact_name": ""}).is_valid()


def test_a_bad_email_is_a_field_error_and_keeps_every_other_answer():
    form = ContactForm({**CONTACT, "email": "maria@"})
    assert not form.is_valid()
    assert list(form.errors) == ["email"]
    # Shown again with the page: every answer but the wrong one is still filled in.
    assert form["full_name"].value() == CONTACT["full_name"]
    assert form["phone"].value() == CONTACT["phone"]


@time_machine.travel(TODAY)
def test_clinical_answers_clean_to_model_values():
    form = ClinicalProfileForm(PROFILE)
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["signet_ring"] is True
    assert data["severe_malnutrition"] is False
    assert data["peritoneal_metastasis"] is None
    assert data["her2_ish"] == ""
    assert data["ecog"] == 1
    assert data["prior_lines"] == 1


@time_machine.travel(TODAY)
def test_every_clinical_question_can_be_answered_i_dont_know():
    form = ClinicalProfileForm({})
    unknown = {name: "unknown" for name, field in form.fields.items() if field.required}
    form = ClinicalProfileForm(unknown)
    assert form.is_valid(), form.errors
    for name in unknown:
        assert form.cleaned_data[name] in (None, ""), name
    for name, field in form.fields.items():
        if hasattr(field, "choices"):
            assert "unknown" in [value for value, _label in field.choices], name


@time_machine.travel(TODAY)
def test_a_future_diagnosis_date_is_a_field_error_and_keeps_the_other_answers():
    form = ClinicalProfileForm({**PROFILE, "diagnosis_date": "2026-12-25"})
    assert not form.is_valid()
    assert list(form.errors) == ["diagnosis_date"]
    assert form["first_line_regimen"].value() == "XELOX"
    assert form["stage"].value() == "IIIA"


@time_machine.travel(TODAY)
def test_a_future_surgery_date_is_refused():
    form = ClinicalProfileForm({**PROFILE, "surgery_date": "2027-01-02"})
    assert not form.is_valid()
    assert "surgery_date" in form.errors


def test_ecog_offers_0_to_4_in_plain_words():
    choices = dict(ClinicalProfileForm().fields["ecog"].choices)
    assert set(choices) == {"0", "1", "2", "3", "4", "unknown"}
    assert "bed or a chair" in str(choices["3"])


def test_who_is_filling_in_offers_only_real_answers_and_none_is_preticked():
    from records.forms import ContactForm

    assert ContactForm()["relationship"].value() in (None, "")
    assert ContactForm().fields["relationship"].choices == [
        ("self", "I am the patient"),
        ("family", "Family member"),
        ("doctor", "Doctor"),
    ]
