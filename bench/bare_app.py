"""The smallest FastAPI app, served like the triage API (one uvicorn process): the HTTP stack's own
ceiling for bench/triage_load.py. Run by it as `uvicorn bare_app:app --app-dir bench`."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def root() -> dict[str, bool]:
    return {"ok": True}
