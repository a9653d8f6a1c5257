"""Fixtures of the Kubernetes tests: settings for the executor pointed at the emulator."""

from __future__ import annotations

import pytest

from evalplatform.settings import Settings


@pytest.fixture
def k8s_settings():
    def make(url: str, **overrides) -> Settings:
        values = dict(k8s_api_host=url, k8s_namespace="evals", k8s_poll_interval_s=0.02,
                      k8s_start_timeout_s=2, k8s_ttl_s=60)
        values.update(overrides)
        return Settings(**values)
    return make
