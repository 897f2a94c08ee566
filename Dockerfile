# d2b_luigi's images, all on one Debian bookworm base with Python (BASE_IMAGE), Debian packages and PyPI only.
#   pipeline (the default target): the project in a virtualenv; `luigi` and `d2b` on PATH; runs as user d2b
#   scheduler: luigid with its task history, web view on port 8082
#   warehouse: PostgreSQL (Debian's package), database `warehouse`, role `etl` (password from the environment)
#   lake:      moto's S3 server on port 9000 with the bucket created at start
# compose.yaml builds and wires them; README "Run it in containers".
ARG BASE_IMAGE=docker.io/library/python:3.12-slim-bookworm

# ---- build: the virtualenv with the project installed (editable: sql/ and luigi.cfg stay next to the code)
FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
RUN python3 -m venv /opt/d2b
WORKDIR /app
# the dependencies first, at the versions of constraints.txt (as `make install`): this layer is rebuilt only
# when one of the two files changes
COPY pyproject.toml constraints.txt ./
RUN python3 -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"], sep="\n")' \
        > /tmp/requirements.txt \
    && /opt/d2b/bin/pip install --quiet -c constraints.txt -r /tmp/requirements.txt
COPY README.md ./
COPY d2b_luigi ./d2b_luigi
# pip and setuptools are needed no more (and every running image is smaller without them)
RUN /opt/d2b/bin/pip install --quiet --no-deps -e . \
    && /opt/d2b/bin/python -m compileall -q d2b_luigi \
    && /opt/d2b/bin/pip uninstall --quiet --yes pip setuptools
COPY luigi.cfg ./
COPY config ./config
COPY container ./container
COPY sql ./sql

# ---- scheduler: luigid; state in /var/lib/d2b/scheduler, history in the database D2B_SCHEDULER_HISTORY_DB
FROM ${BASE_IMAGE} AS scheduler
RUN useradd --system --user-group --uid 10001 --create-home --home-dir /var/lib/d2b d2b
COPY --from=build /opt/d2b /opt/d2b
COPY --from=build /app /app
ENV PATH=/opt/d2b/bin:$PATH PYTHONUNBUFFERED=1 D2B_WORK_DIR=/var/lib/d2b LUIGI_CONFIG_PATH=/app/config/luigid.cfg
WORKDIR /app
USER d2b
RUN mkdir /var/lib/d2b/scheduler
EXPOSE 8082
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s \
    CMD python -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:8082/api/task_list?data={}", timeout=4)'
CMD ["/app/container/scheduler.sh"]

# ---- warehouse: PostgreSQL from Debian; data in /var/lib/postgresql (a volume), initialised at first start
FROM ${BASE_IMAGE} AS warehouse
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-common \
    && sed -ri 's/^#?\s*create_main_cluster\b.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf \
    && apt-get install -y --no-install-recommends postgresql \
    && rm -rf /var/lib/apt/lists/* \
    && ln -s /usr/lib/postgresql/*/bin /usr/lib/postgresql/bin
COPY container/warehouse.sh /usr/local/bin/warehouse.sh
ENV PATH=/usr/lib/postgresql/bin:$PATH PGDATA=/var/lib/postgresql/data PGHOST=/tmp
USER postgres
VOLUME /var/lib/postgresql
EXPOSE 5432
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s CMD pg_isready -q -h 127.0.0.1 -d warehouse -U etl
CMD ["/usr/local/bin/warehouse.sh"]

# ---- lake: moto's S3 server (objects in memory) with the bucket D2B_LAKE_BUCKET created at start; moto's S3
# and the two packages of its server only (the `server` extra brings every AWS service's, ~300 MB)
FROM ${BASE_IMAGE} AS lake
COPY constraints.txt /tmp/constraints.txt
RUN python3 -m venv /opt/lake \
    && PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 /opt/lake/bin/pip install --quiet \
        -c /tmp/constraints.txt "moto[s3]" flask flask-cors \
    && useradd --system --user-group --uid 10002 lake
COPY container/lake.sh /usr/local/bin/lake.sh
ENV PATH=/opt/lake/bin:$PATH D2B_LAKE_BUCKET=d2b-lake
USER lake
EXPOSE 9000
# healthy once the bucket exists (moto accepts any key pair)
HEALTHCHECK --interval=5s --timeout=10s --start-period=30s \
    CMD AWS_ACCESS_KEY_ID=health AWS_SECRET_ACCESS_KEY=health python3 -c 'import os, boto3; \
        boto3.client("s3", endpoint_url="http://127.0.0.1:9000", region_name="us-east-1").head_bucket(Bucket=os.environ["D2B_LAKE_BUCKET"])'
CMD ["/usr/local/bin/lake.sh"]

# ---- pipeline (last, so the default target): `luigi --module d2b_luigi RunAll --date D`, `d2b …`
FROM ${BASE_IMAGE} AS pipeline
RUN useradd --system --user-group --uid 10001 --create-home --home-dir /var/lib/d2b d2b
COPY --from=build /opt/d2b /opt/d2b
COPY --from=build /app /app
# LUIGI_CONFIG_PATH: the project's luigi.cfg (exit codes, worker settings) from whatever folder a command starts in
ENV PATH=/opt/d2b/bin:$PATH PYTHONUNBUFFERED=1 D2B_WORK_DIR=/var/lib/d2b LUIGI_CONFIG_PATH=/app/luigi.cfg
WORKDIR /app
USER d2b
CMD ["luigi", "--module", "d2b_luigi", "--help"]
