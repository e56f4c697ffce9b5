# One image for web, worker and beat (docker-compose.yml chooses the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 1000 crm

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Translations ship compiled (locale/*/LC_MESSAGES/django.mo).
# collectstatic needs settings that import cleanly; the build uses throwaway keys, never shipped.
RUN DEBUG=0 SECRET_KEY=build-only FIELD_ENCRYPTION_KEY=ZGV2LW9ubHktZmllbGQta2V5LWJ1aWxkLW9ubHktMDA= \
    PII_HASH_KEY=build-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

# Production never shows a debug page: DEBUG is off in the image whatever the settings' default
# (development's), and gunicorn.conf.py refuses DEBUG on a public bind.
ENV DEBUG=0

USER crm
EXPOSE 8000
CMD ["gunicorn", "crm.wsgi"]
