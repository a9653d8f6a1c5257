"""Evaluations as Kubernetes Jobs under gVisor.

`runner` is the program the evaluation container runs; `manifest` builds the Job and its
code ConfigMap; `podstate` reads what the kubelet and the Job controller report; `logs`
splits the container log into stdout, stderr and the runner's result; `jobrun` drives
one Job from creation to cleanup; `client` makes the API client. The executor
(evalplatform/executor/kubernetes.py) is a thin shell around `jobrun`.
"""
