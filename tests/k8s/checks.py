"""The two validations every manifest of this project passes: the Kubernetes JSON schemas
(kubernetes-validate, offline, strict: unknown fields are errors) and the official
client's models (the document deserializes and serializes back to itself, so nothing in
it is silently dropped by the client the executor uses)."""

from __future__ import annotations

import kubernetes_validate
from kubernetes import client

# The oldest Kubernetes the manifests promise to work on, and the newest schemas shipped.
SCHEMA_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())


def schema_errors(doc: dict) -> list[str]:
    errors = []
    for version in SCHEMA_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{version}: {exc.message} at {'.'.join(map(str, exc.path))}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{version}: no schema for {doc.get('apiVersion')} {doc.get('kind')}: {exc}")
    return errors


def model_of(doc: dict):
    """The official client's model of `doc` (V1Job, V1Deployment, ...)."""
    return getattr(client, f"V1{doc['kind']}").from_dict(doc)


def model_roundtrip_errors(doc: dict) -> list[str]:
    try:
        model = model_of(doc)
    except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError and others, reported
        return [f"{doc.get('kind')} does not deserialize: {exc}"]
    back = client.ApiClient().sanitize_for_serialization(model)
    return [] if back == doc else [f"{doc.get('kind')} changes through the client model: {_diff(doc, back)}"]


def _diff(a, b, path="") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return _diff(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _diff(x, y, f"{path}[{i}]")
    return f"{path or '.'}: {a!r} -> {b!r}"


def pod_spec_of(doc: dict):
    """The pod spec inside a workload (Job, Deployment, StatefulSet), or None."""
    spec = doc.get("spec") or {}
    return ((spec.get("template") or {}).get("spec")) if doc["kind"] in ("Job", "Deployment", "StatefulSet") else None
