"""The pre-screen in the oncology summary and on the case page: plain labels, every
criterion's reason, the advisories, and the timeline or why there is none."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from navigation.eligibility import PERITONEAL_ADVISORY
from navigation.services.review import case_review_open
from navigation.services.summary import summary_build
from tests.navigation.factories import make_case
from tests.navigation.test_summary import pdf_text

pytestmark = pytest.mark.django_db


def summary_of(case) -> str:
    """The summary's words: reportlab writes each line as a (string) Tj; joined with
    spaces, so a sentence broken across lines reads whole again."""
    case_review_open(case_id=case.pk)
    case.refresh_from_db()
    streams = pdf_text(summary_build(case_id=case.pk).storage_name)
    lines = re.findall(r"\((.*?)(?<!\\)\) Tj", streams)
    return " ".join(re.sub(r"\\(.)", r"\1", line) for line in lines)


def test_the_summary_gives_plain_labels_and_each_criterions_reason(coordinator):
    case = make_case(surgery_date=timezone.localdate() - timedelta(days=10))
    text = summary_of(case)
    assert "Outcome: good evidence" in text
    assert "Does not apply" in text and "Not known yet" in text
    assert "Good evidence" in text  # the table's evidence label, not the code "good"
    for criterion in case.prescreen_result["criteria"]:
        assert criterion["reason"]
    assert "You had a D2 gastrectomy" in text
    assert "Blood collection, from" in text
    assert "not_met" not in text and "insufficient_information" not in text


@pytest.mark.parametrize(
    ("profile", "words"),
    [
        ({"surgery_date": None}, "the date of the operation is not known"),
        ({"gastrectomy": "none"}, "the post-surgery setting does not apply"),
    ],
)
def test_without_a_timeline_the_summary_says_why(coordinator, profile, words):
    assert words in summary_of(make_case(**profile))


def test_the_summary_prints_the_advisories(coordinator):
    operated = timezone.localdate() - timedelta(days=60)
    text = summary_of(make_case(surgery_date=operated))
    assert "Advisories" in text
    assert "The specialist centre decides the timing" in text
    assert "has passed" in text
    peritoneal = summary_of(make_case(peritoneal_metastasis=True, stage="IV"))
    assert PERITONEAL_ADVISORY.split(".")[0] in peritoneal


def test_the_case_page_shows_each_criterions_reason_and_why_there_is_no_timeline(
    coordinator_client,
):
    case = make_case(gastrectomy="none", stage="IVA", first_line_regimen="FLOT")
    case_review_open(case_id=case.pk)
    case.refresh_from_db()
    html = coordinator_client.get(reverse("admin:navigation_case_change", args=[case.pk]))
    html = html.content.decode()
    assert "FLOT is not one of the combinations" in html
    assert 'id="timeline-explanation"' in html
    assert "the post-surgery setting does not apply" in html
    # Unknown answers in words, not the engine's field names.
    assert "The HER2 test result: your HER2 test report" in html
    assert "her2_status:" not in html
