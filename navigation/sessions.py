"""What the navigation pages keep in a browser's session, named once.

The erasure (`navigation.services.privacy`) reads the same keys to find every session that
holds a patient's data.
"""

from cancerfax.security import PORTAL_SESSION_KEY

# Set by the portal's sign-in: the patient's canonical address (the site's session security
# knows a patient's session by it) ...
SESSION_EMAIL = PORTAL_SESSION_KEY
# ... and the primary keys of the patients the link was issued for.
SESSION_PATIENTS = "portal_patients"
# The reference shown on the submission's received page.
RECEIVED_SESSION_KEY = "intake_received_case"
