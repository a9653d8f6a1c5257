"""The HTTP API (FastAPI on uvicorn): the contract's endpoints under /api.

app.py assembles the application; schemas.py validates requests (every bad field is a 422
naming it); evaluations.py and system.py hold the endpoints; health.py the cached checks.
"""
