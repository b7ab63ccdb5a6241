# Rasa action server: rasa-sdk 3.6.2, the release that matches Rasa 3.6's protocol (Python 3.10).
# Only what the actions import (requirements/actions.in) at rasa.lock's versions: no Rasa, no TensorFlow.
# Stage 1 exports m3e-small to ONNX with torch and trains the urgency meaning model on it; the
# server gets the int8 encoder and the weights and runs them with onnxruntime.
FROM python:3.11-slim AS encoder
WORKDIR /app
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
COPY requirements/app.in requirements/app.lock requirements/
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir -r requirements/app.in -c requirements/app.lock
COPY knowledge_base/ knowledge_base/
COPY urgency/ urgency/
COPY bench/data/ bench/data/
RUN python -m knowledge_base.retrieval.onnx_export && python -m urgency.train_meaning

FROM python:3.10-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PYTHONPATH=/app/bot:/app
COPY requirements/actions.in requirements/rasa.lock requirements/
RUN pip install --no-cache-dir -r requirements/actions.in -c requirements/rasa.lock
RUN useradd --system --uid 10001 --create-home actions
COPY knowledge_base/__init__.py knowledge_base/textnorm.py knowledge_base/labels.py knowledge_base/labels.yaml knowledge_base/onnx_encoder.py knowledge_base/
# The urgency package the triage API reads too: the bot hands over on the same signals, read by
# the same rules and the same meaning model.
COPY urgency/__init__.py urgency/reader.py urgency/meaning.py urgency/signals.yaml urgency/
COPY --from=encoder /app/var/models/m3e-small-onnx/ var/models/m3e-small-onnx/
COPY --from=encoder /app/var/models/urgency-meaning.json var/models/urgency-meaning.json
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
