"""Portal takeover through a look-alike address: an address that reaches another mailbox
never finds someone else's case, on SQLite and on PostgreSQL (where `UPPER('ı') = 'I'`)."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from navigation.models import Case
from navigation.services import portal
from records.emails import email_canonical
from records.forms import ContactForm
from tests.navigation.factories import make_case
from tests.navigation.test_intake import valid_answers
from tests.navigation.test_portal_signin import ask_for_link, link_path_from_outbox

pytestmark = pytest.mark.django_db

VICTIM = "dana@clinic-mail.org"

# Addresses on other domains (registrable by anyone) that case-folding would confuse with
# the victim's: none may find her case.
LOOKALIKE_DOMAINS = [
    "dana@cl\u0131nic-mail.org",  # dotless ı: UPPER('ı') = 'I'
    "dana@cl\u0130nic-mail.org",  # dotted capital İ: lower() gives 'i̇'
    "dana@CL\u0131NIC-MAIL.ORG",
]
# Addresses whose part before the @ is not ASCII: refused outright, with a reason.
NON_ASCII_LOCAL = [
    "d\u0131na@clinic-mail.org",  # dotless ı
    "\u212aate@clinic-mail.org",  # Kelvin sign: 'K'.lower() == 'k'
    "\uff44ana@clinic-mail.org",  # fullwidth ｄ
    "stra\u00dfe@clinic-mail.org",  # ß
]


@pytest.fixture
def victim() -> Case:
    return make_case(email=VICTIM)


def test_the_canonical_form_encodes_the_domain_and_lowers_only_ascii():
    assert email_canonical(" Dana@Clinic-Mail.ORG ") == VICTIM
    assert email_canonical("dana@cl\u0131nic-mail.org") == "dana@xn--clnic-mail-yub.org"
    # Fullwidth letters and the Kelvin sign in a domain are the same DNS name as ASCII.
    assert email_canonical("dana@\uff43linic-mail.org") == VICTIM
    assert email_canonical("dana@\u212alinic.org") == "dana@klinic.org"
    # ß is its own letter in IDNA 2008: straße.de is not strasse.de.
    assert email_canonical("dana@stra\u00dfe.de") == "dana@xn--strae-oqa.de"
    assert email_canonical("dana@strasse.de") == "dana@strasse.de"
    for address in NON_ASCII_LOCAL:
        with pytest.raises(ValidationError):
            email_canonical(address)


@pytest.mark.parametrize("lookalike", LOOKALIKE_DOMAINS)
def test_a_lookalike_domain_gets_no_link_to_the_victims_case(client, victim, lookalike):
    assert ask_for_link(client, lookalike).status_code == 200
    assert mail.outbox == []


def test_a_domain_with_ss_does_not_match_one_with_sharp_s(client):
    make_case(email="dana@strasse.de")
    ask_for_link(client, "dana@stra\u00dfe.de")
    assert mail.outbox == []


def test_a_fullwidth_or_kelvin_spelling_of_the_same_domain_mails_the_stored_address(client):
    make_case(email="dana@klinic-mail.org")
    ask_for_link(client, "DANA@\u212a\uff4cinic-mail.org")
    assert [m.to for m in mail.outbox] == [["dana@klinic-mail.org"]]


@pytest.mark.parametrize("address", NON_ASCII_LOCAL)
def test_a_non_ascii_part_before_the_at_is_refused_with_a_reason(client, address):
    response = ask_for_link(client, address)
    assert response.status_code == 400
    assert b"unaccented Latin letters" in response.content
    assert mail.outbox == []


def test_intake_stores_the_canonical_address_and_refuses_non_ascii_local_parts():
    form = ContactForm(valid_answers(email="Dana@\uff23linic-Mail.org"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == VICTIM
    refused = ContactForm(valid_answers(email="\u212aate@clinic-mail.org"))
    assert not refused.is_valid()
    assert "unaccented Latin letters" in str(refused.errors["email"])


def test_the_database_holds_one_canonical_form_for_patients(victim):
    other = make_case(email="Dana@CLINIC-mail.org")
    assert other.patient.email == VICTIM


def test_postgresql_exact_matching_is_not_fooled_by_upper_of_dotless_i(postgres, victim):
    with connection.cursor() as cursor:
        cursor.execute("SELECT UPPER(%s) = UPPER(%s)", ["cl\u0131nic", "clinic"])
        assert cursor.fetchone()[0], "the database no longer shows the bug this guards against"
    client = Client()
    for lookalike in LOOKALIKE_DOMAINS:
        ask_for_link(client, lookalike)
    assert mail.outbox == []
    ask_for_link(client, VICTIM.upper())
    assert [m.to for m in mail.outbox] == [[VICTIM]]


def test_a_session_reaches_only_the_patients_its_link_was_issued_for(client, victim):
    ask_for_link(client, VICTIM)
    path = link_path_from_outbox()
    # A case filed afterwards under the same address (by anyone) is not opened by the link.
    later = make_case(email=VICTIM)
    client.post(path)
    assert client.get(f"/portal/cases/{victim.reference}/").status_code == 200
    assert client.get(f"/portal/cases/{later.reference}/").status_code == 404


def test_a_session_loses_a_patient_whose_address_changed(client, victim):
    ask_for_link(client, VICTIM)
    client.post(link_path_from_outbox())
    victim.patient.email = "dana@new-mail.org"
    victim.patient.save()
    assert client.get(f"/portal/cases/{victim.reference}/").status_code == 404


def test_the_link_records_the_patients_found_when_issued(victim):
    token = portal.portal_link_issue(email=VICTIM)
    make_case(email=VICTIM)
    grant = portal.portal_link_redeem(token=token)
    assert grant.patient_ids == [victim.patient.pk]
