# One image for web, worker and beat.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production

RUN apt-get update \
    && apt-get install -y --no-install-recommends libmagic1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 1000 --home /app navigator

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=navigator:navigator . .
# collectstatic needs settings to import; these values exist only for this build step.
RUN SECRET_KEY=build-only-build-only-build-only-build-only-build-only \
    AUDIT_CHAIN_KEY=build-only-audit-chain-key-build-only \
    ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 CLAMD_ADDRESS=tcp://build:3310 \
    DOCUMENT_ENCRYPTION_KEYS=build:YnVpbGQtb25seS1idWlsZC1vbmx5LWJ1aWxkLW9ubHk= \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/private /app/var/audit /app/var/resumable && chown -R navigator:navigator /app/var

USER navigator
EXPOSE 8000
# Workers, timeouts, preloading with a warm-up and the clean-up of a killed worker's upload
# files, and the access log without query strings or sign-in tokens: gunicorn.conf.py (read
# from /app by gunicorn itself, in compose too).
CMD ["gunicorn", "cancerfax.wsgi", "--bind", "0.0.0.0:8000"]
