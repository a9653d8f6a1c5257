# The platform image: API, workers, migrations and the acceptance suite.
# Build from the repository root:
#   docker build -f deploy/k8s/images/platform.Dockerfile -t evalplatform/platform:dev .
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY pytest.ini conftest.py ./
COPY evalplatform ./evalplatform
COPY features ./features
COPY steps ./steps
COPY support ./support
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /tmp evalplatform
USER 10001
