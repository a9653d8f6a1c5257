"""The API client for the configured cluster.

Three ways in, first that applies: an explicit `k8s_api_host` (the tests' local
API-server emulator, or a `kubectl proxy`), the Pod's own service account when running
inside a cluster, else a kubeconfig (`k8s_kubeconfig`, `$KUBECONFIG`, ~/.kube/config).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from kubernetes import client as k8s
from kubernetes import config as k8s_config

from evalplatform.settings import Settings


def api_client(settings: Settings) -> k8s.ApiClient:
    configuration = k8s.Configuration()
    if settings.k8s_api_host:
        configuration.host = settings.k8s_api_host
    elif os.environ.get("KUBERNETES_SERVICE_HOST"):
        k8s_config.load_incluster_config(client_configuration=configuration)
    else:
        k8s_config.load_kube_config(config_file=settings.k8s_kubeconfig or None,
                                    context=settings.k8s_context or None,
                                    client_configuration=configuration)
    return k8s.ApiClient(configuration)


@dataclass(frozen=True)
class Apis:
    """The two API groups an evaluation Job touches."""

    batch: k8s.BatchV1Api
    core: k8s.CoreV1Api

    @classmethod
    def of(cls, client: k8s.ApiClient) -> "Apis":
        return cls(batch=k8s.BatchV1Api(client), core=k8s.CoreV1Api(client))
