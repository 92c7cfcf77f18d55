# syntax=docker/dockerfile:1
#
# rtc-room-monitor image. The same image runs the daemon (default) and the built-in API simulator
# (entrypoint node dist/src/simulator/cli.js, see docker-compose.yml).
#
# Configuration is never baked in: mount the config at /etc/rtc-room-monitor/monitor.yaml and pass
# VOLC_ACCESSKEY / VOLC_SECRETKEY through the environment (compose reads them from .env).

ARG NODE_IMAGE=node:20.18.1-bookworm-slim

# ---- build: full dependency tree, compile TypeScript --------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and compiled output only ----------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay on here: better-sqlite3 fetches (or builds) its native binary during install.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src

# Writable home for state.file / events.file. Created here so a named volume mounted on it starts out
# owned by the unprivileged user. The default state.file (data/rtc-room-monitor.db, relative to /app)
# lands in it through the data symlink.
RUN mkdir -p /etc/rtc-room-monitor /var/lib/rtc-room-monitor \
 && chown node:node /var/lib/rtc-room-monitor \
 && ln -s /var/lib/rtc-room-monitor /app/data
VOLUME ["/var/lib/rtc-room-monitor"]
USER node

EXPOSE 9479
# Slim images have no curl; node is already here. The address is fixed: if you change server.port,
# override the healthcheck too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('http').get('http://127.0.0.1:9479/-/healthy', (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]

ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["--config", "/etc/rtc-room-monitor/monitor.yaml"]
