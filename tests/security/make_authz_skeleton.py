"""Print table rows for URL patterns the authorization matrix does not list yet.

DJANGO_SETTINGS_MODULE=cancerfax.settings .venv/bin/python -m tests.security.make_authz_skeleton
"""

import django

django.setup()

from tests.security.authz import load_matrix, skeleton_row  # noqa: E402
from tests.security.urlwalk import all_routes  # noqa: E402

if __name__ == "__main__":
    known = (
        load_matrix() if __import__("os").path.exists("tests/security/authz_matrix.toml") else {}
    )
    for route in all_routes():
        if route.key not in known:
            print(skeleton_row(route))
