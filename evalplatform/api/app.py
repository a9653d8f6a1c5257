"""The FastAPI application: routers under /api (health also at /health), the body limit,
and error answers.

Errors: validation is a 422 whose `detail` lists each bad field's `loc` (without echoing
the input back: a 1 MiB program would come back in every error); a full queue or an
unreachable database, Redis or broker is a 503 with Retry-After, because the client did
nothing wrong and may simply try again.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any, Union

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from evalplatform import __version__, failpoints, state, store
from evalplatform.api import evaluations, system
from evalplatform.api.bodylimit import BodySizeLimit
from evalplatform.queue.outages import OUTAGES
from evalplatform.queue.recovery import Reaper
from evalplatform.settings import get_settings

log = logging.getLogger(__name__)

OUTAGE_RETRY_AFTER_S = 5


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Refuse bad failpoints, connect, migrate (settings.migrate_on_start), and reap (one
    reaper runs per interval overall)."""
    failpoints.check_startup()
    store.init()
    state.init()
    if get_settings().migrate_on_start:
        store.migrate()
    reaper = Reaper(cleanup_local=False)
    reaper.start()
    try:
        yield
    finally:
        reaper.stop()


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    if failpoints.active("refusals_answer_500"):
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)
    detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
              for e in exc.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


async def _busy(request: Request, exc: evaluations.ServiceBusy) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=503,
                        headers={"Retry-After": str(exc.retry_after_s)})


async def _outage(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: a dependency is unavailable: %s", request.method, request.url.path, exc)
    return JSONResponse({"detail": f"a platform service is unavailable ({type(exc).__name__}); retry later"},
                        status_code=503, headers={"Retry-After": str(OUTAGE_RETRY_AFTER_S)})


class ErrorAnswer(BaseModel):
    """An error's body: `detail`, a message or a list of {loc, msg, type} naming the fields."""

    detail: Union[str, list[dict[str, Any]]]


# Every error answer, declared in /openapi.json so that clients (and tests/fuzz, which
# checks each answer against the document) know all an endpoint may say.
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying",
                               "schema": {"type": "integer"}}}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorAnswer, "description": "The body is not parsable JSON"},
    404: {"model": ErrorAnswer, "description": "No evaluation has this id"},
    409: {"model": ErrorAnswer, "description": "Cancel: the evaluation has already ended"},
    413: {"model": ErrorAnswer, "description": "The body is larger than 2 MiB"},
    503: {"model": ErrorAnswer, "headers": RETRY_AFTER,
          "description": "The queue is full, or a platform service is down: retry later"},
}
SYSTEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: ERROR_RESPONSES[413],
    503: {"description": "Degraded (health: the report), or a platform service is down",
          "content": {"application/json": {"schema": {"type": "object"}}}},
}


def create_app() -> FastAPI:
    app = FastAPI(title="evalplatform", version=__version__, lifespan=lifespan,
                  openapi_url="/openapi.json", docs_url="/docs")
    app.include_router(evaluations.router, prefix="/api", responses=ERROR_RESPONSES)
    app.include_router(system.router, prefix="/api", responses=SYSTEM_RESPONSES)
    # Health outside /api as well, where platforms of the crucible dialect (and load
    # balancers' probes) look for it: the same endpoint, so the same answer and status.
    app.add_api_route("/health", system.get_health, methods=["GET"], responses=SYSTEM_RESPONSES)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(evaluations.ServiceBusy, _busy)
    for outage in OUTAGES:
        app.add_exception_handler(outage, _outage)
    app.add_middleware(BodySizeLimit)
    return app


app = create_app()
