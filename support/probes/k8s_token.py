"""Is a Kubernetes service-account token mounted, or the API server's address exported
(kube-hunter, CDK, botb)? Looks under {{root}} (empty inside a sandbox; the negative
control points it at a planted copy) in the places a kubelet mounts credentials, and in
the environment. Isolation holds when there is neither."""
import glob
import json
import os

ROOT = "{{root}}"
PLACES = ("/var/run/secrets/kubernetes.io/serviceaccount/token",
          "/run/secrets/kubernetes.io/serviceaccount/token",
          "/var/run/secrets/tokens/*",
          "/var/run/secrets/eks.amazonaws.com/serviceaccount/token")
tokens = [path for place in PLACES for path in glob.glob(ROOT + place) if os.path.isfile(path)]
readable = []
for path in tokens:
    try:
        with open(path, "rb") as fh:
            if fh.read(1):
                readable.append(path)
    except OSError:
        continue
api_vars = sorted(name for name in os.environ if name.startswith("KUBERNETES_"))
print(json.dumps({"probe": "k8s_token", "blocked": not tokens and not api_vars,
                  "detail": {"tokens": tokens, "readable": readable, "api_vars": api_vars}}))
