# Rasa action server: rasa-sdk 3.6.2, the release that matches Rasa 3.6's protocol (Python 3.10).
FROM python:3.10-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PYTHONPATH=/app/bot:/app
COPY requirements/rasa.in requirements/rasa.lock requirements/
RUN pip install --no-cache-dir "setuptools<70" && pip install --no-cache-dir -r requirements/rasa.in -c requirements/rasa.lock
COPY knowledge_base/__init__.py knowledge_base/textnorm.py knowledge_base/labels.py knowledge_base/labels.yaml knowledge_base/
# The urgency package the triage API reads too: the bot hands over on the same signals.
COPY urgency/ urgency/
COPY bot/actions/ bot/actions/
WORKDIR /app/bot
EXPOSE 5055
HEALTHCHECK --interval=10s --timeout=3s --retries=12 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5055/health').status==200 else 1)"
# The rasa-sdk app behind a shared-secret check (actions/serve.py); ACTIONS_SERVER_SECRET is required.
CMD ["python", "-m", "actions.serve"]
