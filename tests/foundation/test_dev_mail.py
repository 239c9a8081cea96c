"""Development mail is printed so that a person can read it and open its links."""

import io

from django.core.mail import EmailMessage

from cancerfax.mail import EmailBackend

LINK = "http://127.0.0.1:8103/portal/signin/" + "a" * 60 + ":" + "b" * 43 + "/"


def printed(message: EmailMessage) -> str:
    stream = io.StringIO()
    EmailBackend(stream=stream).send_messages([message])
    return stream.getvalue()


def test_a_long_link_is_printed_on_one_unbroken_line():
    text = printed(
        EmailMessage(
            "Your link", f"Hello,\n\n{LINK}\n\nThanks — the team", None, ["a@example.org"]
        )
    )
    assert LINK in text.splitlines()
    assert "=\n" not in text


def test_letters_outside_ascii_are_printed_as_themselves():
    text = printed(EmailMessage("Réception", "Merci — à bientôt", None, ["a@example.org"]))
    assert "Subject: Réception" in text
    assert "Merci — à bientôt" in text
    assert "To: a@example.org" in text


def test_an_attachment_is_named_not_dumped():
    message = EmailMessage("Summary", "Attached.", None, ["a@example.org"])
    message.attach("summary.pdf", b"%PDF-1.7 binary", "application/pdf")
    text = printed(message)
    assert "[attachment: summary.pdf]" in text
    assert "%PDF" not in text
