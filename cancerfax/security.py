"""Access hardening shared by the whole site.

- `rate_limited()`: a per-address request budget kept in the shared cache, for the views
  that take anonymous input (admin sign-in, portal sign-in links, /submit/, the pre-screen API).
- `SessionSecurityMiddleware`: staff and portal sessions end after an idle period and after
  an absolute lifetime; staff and portal pages are never stored by browsers or proxies; a
  Permissions-Policy header on every response.
- Signal receivers: a deactivated or deleted user loses every session at once.
"""

import hashlib
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout, user_logged_in
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from cancerfax.models import UserSession

logger = logging.getLogger(__name__)

SESSION_STARTED = "_cfx_session_started"
# The session key of a signed-in patient's address (the portal sets it): a patient's session.
PORTAL_SESSION_KEY = "portal_email"
SESSION_LAST_SEEN = "_cfx_session_last_seen"
# Writing the session on every request would cost a database write each time; a minute's
# precision is plenty for a 15-minute idle limit.
LAST_SEEN_RESOLUTION = 60

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind TRUSTED_PROXY_COUNT proxies, the address the nearest
    trusted proxy saw; never a value the client could write itself. None when unknown."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def rate_limited(
    request: HttpRequest, *, scope: str, limit: int, period: int, cost: int = 1
) -> bool:
    """Count this request against the client's budget for `scope`: at most `limit`
    requests per `period` seconds. True when the budget is spent (answer 429).

    `cost` counts something other than requests against the same kind of budget: the
    bytes a client uploads, say (`cost=len(chunk)` against a byte budget); 0 only asks.

    A fixed window in the shared cache (atomic INCR on Redis), keyed by a hash of the
    address so no address is written in clear. When the cache is down the request is let
    through: refusing patients' submissions because Redis is restarting would lose more
    than a few minutes without a limit.
    """
    window = int(time.time() // period)
    digest = hashlib.sha256((client_ip(request) or "unknown").encode()).hexdigest()[:24]
    key = f"ratelimit:{scope}:{digest}:{window}"
    try:
        cache.add(key, 0, timeout=period + 1)
        count = cache.incr(key, cost) if cost else cache.get(key, 0)
    except ValueError:  # the key expired between add and incr: a fresh window
        cache.set(key, cost, timeout=period + 1)
        count = cost
    except Exception as exc:  # cache unreachable: fail open, and say so
        logger.warning("rate limit for %s not enforced: cache %s", scope, type(exc).__name__)
        return False
    return count > limit


def _is_staff(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


class SessionSecurityMiddleware:
    """Ends idle and old staff and portal sessions on the server; sets hardening headers.

    Goes after AuthenticationMiddleware and OTPMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            if _is_staff(request):
                self._enforce_limits(
                    request,
                    idle=settings.STAFF_SESSION_IDLE_SECONDS,
                    lifetime=settings.STAFF_SESSION_MAX_SECONDS,
                    end=logout,
                )
            elif request.session.get(PORTAL_SESSION_KEY):
                self._enforce_limits(
                    request,
                    idle=settings.PORTAL_SESSION_IDLE_SECONDS,
                    lifetime=settings.PORTAL_SESSION_MAX_SECONDS,
                    end=lambda r: r.session.flush(),
                )
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only look inside a session that exists: reading an empty one would add
        # "Vary: Cookie" to every public page and spoil shared caching.
        if (
            session is not None
            and (settings.SESSION_COOKIE_NAME in request.COOKIES or session.modified)
            and session.get(PORTAL_SESSION_KEY)
        ):
            # The portal's sign-in view has just put the patient in: the clock starts now.
            session.setdefault(SESSION_STARTED, time.time())
            session.setdefault(SESSION_LAST_SEEN, time.time())
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        csp = response.headers.get("Content-Security-Policy")
        if csp and "frame-ancestors" not in csp:
            # A view may set its own, stricter policy (file downloads do); framing stays
            # forbidden whatever it says, since default-src does not cover frame-ancestors.
            response.headers["Content-Security-Policy"] = f"{csp}; frame-ancestors 'none'"
        if request.path.startswith(("/admin/", "/portal/")) and not response.has_header(
            "Cache-Control"
        ):
            # Pages with patient data must not be kept in a shared computer's browser cache.
            patch_cache_control(response, private=True, no_store=True)
        return response

    @staticmethod
    def _enforce_limits(
        request: HttpRequest, *, idle: int, lifetime: int, end: Callable[[HttpRequest], None]
    ) -> None:
        session = request.session
        now = time.time()
        started = session.get(SESSION_STARTED)
        last_seen = session.get(SESSION_LAST_SEEN)
        if started is None or last_seen is None:
            session[SESSION_STARTED] = session[SESSION_LAST_SEEN] = now
            return
        if now - last_seen > idle or now - started > lifetime:
            # Both ways of ending flush the session: its row is deleted, the cookie worthless.
            end(request)
            return
        if now - last_seen >= LAST_SEEN_RESOLUTION:
            session[SESSION_LAST_SEEN] = now


@receiver(user_logged_in, dispatch_uid="cfx_stamp_session_start")
def _stamp_session_start(sender, request: HttpRequest, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_STARTED] = now
        request.session[SESSION_LAST_SEEN] = now


def sessions_end_for_user(*, user_id: int) -> int:
    """Delete every session of one user (sign out everywhere). Returns how many."""
    deleted, _ = UserSession.objects.filter(user_id=user_id).delete()
    return deleted


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="cfx_end_sessions_inactive")
def _end_sessions_of_inactive_user(sender, instance, created: bool, **kwargs) -> None:
    if not created and not instance.is_active:
        sessions_end_for_user(user_id=instance.pk)


@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="cfx_end_sessions_deleted")
def _end_sessions_of_deleted_user(sender, instance, **kwargs) -> None:
    sessions_end_for_user(user_id=instance.pk)
