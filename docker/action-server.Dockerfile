# Rasa action server: rasa-sdk 3.6.2, the release that matches Rasa 3.6's protocol (Python 3.10).
# Only what the actions import (requirements/actions.in) at rasa.lock's versions: no Rasa, no TensorFlow.
FROM python:3.10-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PYTHONPATH=/app/bot:/app
COPY requirements/actions.in requirements/rasa.lock requirements/
RUN pip install --no-cache-dir -r requirements/actions.in -c requirements/rasa.lock
RUN useradd --system --uid 10001 --create-home actions
COPY knowledge_base/__init__.py knowledge_base/textnorm.py knowledge_base/labels.py knowledge_base/labels.yaml knowledge_base/
# The urgency package the triage API reads too: the bot hands over on the same signals.
COPY urgency/ urgency/
# The one masking of personal data, installed in every process's logging.
COPY pii/ pii/
COPY bot/actions/ bot/actions/
WORKDIR /app/bot
# Root owns the code; the server only reads it.
USER actions
EXPOSE 5055
HEALTHCHECK --interval=10s --timeout=3s --retries=12 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5055/health').status==200 else 1)"
# The rasa-sdk app behind a shared-secret check (actions/serve.py); ACTIONS_SERVER_SECRET is required.
CMD ["python", "-m", "actions.serve"]
