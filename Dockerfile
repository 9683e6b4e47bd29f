# Deputy's Den: the bot as a container, with production settings from the environment.
# The Den tab's browser files come from the npm lockfile's runtime packages (no CDN).
FROM node:22-slim AS tab-assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEN_HOST=0.0.0.0 \
    PORT=3978 \
    DEN_SQLITE_PATH=/data/den.sqlite3

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY app.py ./
COPY bot ./bot
COPY cards ./cards
COPY dialogs ./dialogs
COPY data ./data
COPY static ./static
COPY --from=tab-assets /build/node_modules/@microsoft/teams-js/dist/umd ./node_modules/@microsoft/teams-js/dist/umd

RUN useradd --system --uid 10001 den && mkdir -p /data && chown den /data
USER den
VOLUME ["/data"]
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz')"

# MicrosoftAppId, MicrosoftAppPassword, MicrosoftAppType and MicrosoftAppTenantId must be set
# by the host (App Service application settings, a Kubernetes secret...), never baked in.
CMD ["python", "app.py"]
