"""The consent text a patient agrees to, versioned in code.

Changing a single character of the text means a new version: the stored hash proves which
words a patient saw. Keep old versions in CONSENT_TEXTS so past consents stay verifiable.
"""

import hashlib

CONSENT_TEXTS: dict[str, str] = {
    "2026-11": (
        "I agree that CancerFax may store and use the health information and documents I "
        "send here, to review this case, prepare a summary for specialists and contact me "
        "about it. Only the care coordinators working on the case can see them, and every "
        "time they open them is recorded. I can withdraw this consent and ask for my records "
        "to be deleted at any time from the patient portal."
    ),
}
CONSENT_VERSION = "2026-11"
CONSENT_TEXT = CONSENT_TEXTS[CONSENT_VERSION]


def consent_text_sha256(version: str = CONSENT_VERSION) -> str:
    """SHA-256 of the exact text of `version` (KeyError for an unknown version)."""
    return hashlib.sha256(CONSENT_TEXTS[version].encode("utf-8")).hexdigest()
