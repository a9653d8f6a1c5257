# The `python-ml` evaluation environment: the interpreter plus the libraries the
# platform promises for it (GET /api/environments). Evaluation Pods run it as uid 65534
# with a read-only root filesystem; nothing here needs to be writable.
#   docker build -f deploy/k8s/images/python-ml.Dockerfile -t evalplatform/python-ml:dev deploy/k8s/images
FROM python:3.11-slim
RUN pip install --no-cache-dir numpy pandas scipy scikit-learn
USER 65534
