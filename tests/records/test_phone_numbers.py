"""Phone numbers are taken as people write them at home, for the country they chose."""

import json
import re
from html import unescape

import phonenumbers
import pytest

from records.forms import ContactForm

pytestmark = pytest.mark.django_db

CONTACT = {
    "full_name": "Mei Lin",
    "date_of_birth": "1961-03-14",
    "relationship": "self",
    "email": "mei@example.org",
    "preferred_language": "English",
}


def example(region: str) -> str:
    """The library's example number for a region, as written there."""
    number = phonenumbers.example_number(region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def contact(**answers) -> ContactForm:
    form = ContactForm({**CONTACT, **answers})
    form.is_valid()
    return form


@pytest.mark.parametrize(
    ("country", "written", "stored"),
    [
        ("United Kingdom", "020 7946 0958", "+442079460958"),
        ("India", "098765 43210", "+919876543210"),
        ("China", "138 0013 8000", "+8613800138000"),
        ("China", "+44 20 7946 0958", "+442079460958"),
        ("China", "0044 20 7946 0958", "+442079460958"),
    ],
)
def test_a_number_in_the_national_format_of_the_chosen_country_is_accepted(
    country, written, stored
):
    form = contact(country=country, phone=written)
    assert not form.errors, form.errors
    assert form.cleaned_data["phone"] == stored


def test_a_possible_number_is_accepted_though_not_on_the_list_of_allocated_ranges():
    # US 555 numbers have the right length but are not "valid" to the phonenumbers library.
    form = contact(country="United States", phone="(555) 555-5555")
    assert not form.errors, form.errors
    assert form.cleaned_data["phone"] == "+15555555555"


def test_a_number_too_short_for_the_country_is_refused_with_that_countrys_example():
    form = contact(country="India", phone="12345")
    message = form.errors["phone"][0]
    assert "India" in message
    assert example("IN") in message


def test_the_example_under_the_question_is_for_the_chosen_country():
    assert example("IN") in str(contact(country="India", phone="").fields["phone"].help_text)
    assert example("CN") in str(
        ContactForm(initial={"country": "China"}).fields["phone"].help_text
    )


def test_without_a_country_a_national_number_asks_for_the_country_code():
    form = contact(country="", phone="020 7946 0958")
    assert "phone" in form.errors
    assert "country code" in form.errors["phone"][0]


def test_the_submit_page_carries_every_countrys_example_for_its_script(client):
    html = client.get("/submit/").content.decode()
    examples = re.search(r'data-phone-examples="([^"]*)"', html).group(1)
    assert json.loads(unescape(examples))["India"] == example("IN")
