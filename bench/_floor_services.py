"""The floor benchmark's services: the platform's libraries doing the least an evaluation needs.

    python bench/_floor_services.py http PORT
        FastAPI on uvicorn as the platform's API runs it (httptools, uvloop, no access
        log): one synchronous POST route that validates a body and answers JSON.
    python bench/_floor_services.py celery BROKER_URL RESULT_URL SLOTS
        A Celery worker as the platform's is configured (JSON, acks late, STARTED tracked,
        results in Redis, the thread pool, prefetch 1): one task that does nothing.

Nothing of evalplatform is imported: what these spend is the libraries' own cost.
"""

# No `from __future__ import annotations`: FastAPI must see the route's model class itself.
import sys
import uuid

NOOP_TASK = "floor.noop"


def http(port: int) -> None:
    import uvicorn
    from fastapi import FastAPI
    from pydantic import BaseModel

    class Submission(BaseModel):
        code: str
        priority: int = 0

    app = FastAPI()

    @app.post("/eval")
    def submit(body: Submission) -> dict:
        return {"eval_id": str(uuid.uuid4()), "status": "queued"}

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")


def celery_app(broker_url: str, result_url: str):
    from celery import Celery

    app = Celery("floor", broker=broker_url, backend=result_url)
    app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                    task_acks_late=True, task_track_started=True, worker_prefetch_multiplier=1,
                    worker_disable_prefetch=True, worker_hijack_root_logger=False,
                    task_default_queue="floor")

    @app.task(name=NOOP_TASK)
    def noop(eval_id: str) -> dict:
        return {"eval_id": eval_id}

    return app


def celery(broker_url: str, result_url: str, slots: int) -> None:
    worker = celery_app(broker_url, result_url).Worker(
        hostname="floor@%h", concurrency=slots, pool="threads", loglevel="WARNING",
        without_gossip=True, without_mingle=True, without_heartbeat=True)
    worker.start()


if __name__ == "__main__":
    service, *args = sys.argv[1:]
    if service == "http":
        http(int(args[0]))
    else:
        celery(args[0], args[1], int(args[2]))
