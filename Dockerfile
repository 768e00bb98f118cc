# syntax=docker/dockerfile:1
# Multi-stage image of the gateway: build wheels, then a slim non-root runtime.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip wheel
COPY pyproject.toml README.md ./
COPY gateway ./gateway
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    EDIGW_DATA_DIR=/data EDIGW_HTTP_HOST=0.0.0.0 EDIGW_SFTP_HOST=0.0.0.0
RUN apt-get update && apt-get install -y --no-install-recommends openssl curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 gateway \
    && useradd --system --uid 10001 --gid gateway --home /app --shell /usr/sbin/nologin gateway
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY --chown=gateway:gateway partner_profiles ./partner_profiles
COPY --chown=gateway:gateway maps ./maps
COPY --chown=gateway:gateway identities.yaml ./identities.yaml
RUN mkdir -p /data && chown gateway:gateway /data
ENV EDIGW_IDENTITIES_FILE=/app/identities.yaml \
    EDIGW_PROFILES_DIR=/app/partner_profiles:/config/partner_profiles \
    EDIGW_MAPS_DIR=/app/maps:/config/maps
USER gateway
VOLUME ["/data"]
EXPOSE 8080 4080 2222
# the console's port (api, run), else the AS2 listener's (as2): one image, either command
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD curl -fsS "http://127.0.0.1:${EDIGW_HTTP_PORT:-8080}/healthz" || curl -fsS "http://127.0.0.1:${EDIGW_AS2_PORT:-4080}/healthz" || exit 1
ENTRYPOINT ["edi-gateway"]
CMD ["api"]
