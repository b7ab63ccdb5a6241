# Rasa Open Source 3.6 server with the intake model trained at build time (Python 3.10).
# Stage 1 exports m3e-small to ONNX with torch (the intent ensemble's sentence vectors); the Rasa image itself
# gets only the exported folder and runs it with onnxruntime.
FROM python:3.11-slim AS encoder
WORKDIR /app
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
COPY requirements/app.in requirements/app.lock requirements/
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir -r requirements/app.in -c requirements/app.lock
COPY knowledge_base/ knowledge_base/
RUN python -m knowledge_base.retrieval.onnx_export

FROM python:3.10-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=/app/bot:/app \
    BOT_SENTENCE_ENCODER_DIR=/app/var/models/m3e-small-onnx
COPY requirements/rasa.in requirements/rasa.lock requirements/
RUN pip install --no-cache-dir "setuptools<70" && pip install --no-cache-dir -r requirements/rasa.in -c requirements/rasa.lock
RUN useradd --system --uid 10001 --create-home rasa
COPY knowledge_base/__init__.py knowledge_base/textnorm.py knowledge_base/clauses.py knowledge_base/labels.py knowledge_base/labels.yaml knowledge_base/onnx_encoder.py knowledge_base/
COPY --from=encoder /app/var/models/m3e-small-onnx var/models/m3e-small-onnx
COPY nlu_data/ nlu_data/
# The one masking of personal data, installed in every process's logging.
COPY pii/ pii/
# The Rasa project without actions/ (they run in the action-server image): config, domain, stories,
# jieba's dictionary, and the custom NLU components and REST channel Rasa imports.
COPY bot/config.yml bot/credentials.yml bot/endpoints.yml bot/
COPY bot/domain/ bot/domain/
COPY bot/data/ bot/data/
COPY bot/jieba/ bot/jieba/
COPY bot/components/ bot/components/
COPY bot/channels/ bot/channels/
WORKDIR /app/bot
RUN rasa train --config config.yml --domain domain --data ../nlu_data data --out models --fixed-model-name intake
# Root owns code and model; at run time Rasa writes only its global config in the user's home and
# temporary files (the unpacked model, jieba's cache) in /tmp.
USER rasa
EXPOSE 5005
HEALTHCHECK --interval=10s --timeout=3s --retries=30 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5005/').status==200 else 1)"
# Without --enable-api by default: compose runs it with the HTTP API behind RASA_AUTH_TOKEN.
CMD ["rasa", "run", "--cors", "*", "--port", "5005", "--model", "models/intake.tar.gz", "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"]
