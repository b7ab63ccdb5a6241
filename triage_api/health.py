"""GET /health: the process is up and Redis answers."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request, response: Response) -> dict[str, object]:
    try:
        redis_ok = bool(await request.app.state.redis.ping())
    except Exception:
        redis_ok = False
    knowledge_base = request.app.state.knowledge_base
    kb_state = "disabled"
    if knowledge_base is not None:
        kb_state = "ready" if knowledge_base.live.current is not None else "loading"
    if not redis_ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"status": "ok" if redis_ok else "degraded", "redis": redis_ok, "knowledge_base": kb_state}
