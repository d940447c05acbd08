# syntax=docker/dockerfile:1
# lab-events: build stage compiles TypeScript and bundles the web pages; the runtime stage holds
# the compiled server, the bundles and production dependencies only, and runs `node` directly
# (no npm, no build at start) as the `node` user.
#
#   docker build -t lab-events .
#   docker run --rm lab-events node dist/src/app/cli/main.js hash-key admin    # a key and its API_KEYS entry
#   docker run -d --name lab-events -p 8001:8001 -v lab-events-data:/data -e API_KEYS='admin:<salt>:<sha256>' lab-events
#
# The server listens on 0.0.0.0 here (HOST), which it refuses without API_KEYS (exit code 2, a
# message naming HOST, API_KEYS and INSECURE_BIND): add -e INSECURE_BIND=true to serve without
# access control (a trial on your own machine), never on a lab network.

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary fits the platform (python3, make,
# g++), against this image's own Node headers (/usr/local/include/node): nothing to download.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY web ./web
# tsc to dist/src, esbuild to dist/web; then drop dev dependencies, keeping the native builds.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8001 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The SQLite file and backups live in /data (a volume) when no MONGODB_URI is given.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8001
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8001) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) reaches node directly (exec form, no npm or shell between): in-flight
# requests finish, sockets close properly.
CMD ["node", "dist/src/main.js"]
