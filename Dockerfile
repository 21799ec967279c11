# syntax=docker/dockerfile:1
# Rollcall's container image: `rollcall serve` as PID 1, compiled JavaScript and production
# dependencies only, as a non-root user. How to build, run and upgrade it: docs/deploy.md.
# No container engine runs on Rollcall's build machines: test/deploy/dockerfile.test.ts checks this
# file against the repository instead (scripts, files, the CLI command, the health check, the user).
#
#   docker build -t rollcall .
#   docker run -p 8080:8080 -v rollcall-data:/data -e ROLLCALL_PUBLIC_URL=https://scim.example.com rollcall

# Node.js 24 LTS, the version CI tests Rollcall on besides 20 (scripts/node24.sh). Pin a digest for
# repeatable builds: --build-arg NODE_IMAGE=node:24-trixie-slim@sha256:…
ARG NODE_IMAGE=node:24-trixie-slim

# 1. build: TypeScript → dist/ (tsc needs the dev dependencies).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the build) would run before the sources are here, and no native
# module is needed to compile.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/
COPY src/ src/
RUN npm run build

# 2. deps: the production dependencies, from the lockfile, with better-sqlite3's native addon.
FROM ${NODE_IMAGE} AS deps
# better-sqlite3 downloads a prebuilt addon from GitHub; where that is blocked it compiles SQLite,
# which needs these (they stay in this stage, not in the image).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# A compile uses the Node.js headers the image ships in /usr/local/include/node, not a download
# (as scripts/node24.sh does with --nodedir).
ENV npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips `prepare` (tsc is a dev dependency, absent here); better-sqlite3's own
# install script (allowed in package.json "allowScripts") then runs alone. The last command fails
# the build if the addon does not load.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && node -e "new (require('better-sqlite3'))(':memory:').close()"

# 3. runtime: what `npm pack` ships (bin/, dist/, package.json) and the production node_modules.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    ROLLCALL_HOST=0.0.0.0 \
    ROLLCALL_PORT=8080 \
    ROLLCALL_DATABASE_URL=sqlite:/data/rollcall.db
WORKDIR /app
# Owned by root and read-only to Rollcall's user: the process can write only to /data.
COPY --from=deps /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY bin/ bin/
COPY package.json ./
# The SQLite database's directory (unused with PostgreSQL). 1000 is the image's `node` user; a
# numeric user lets Kubernetes' runAsNonRoot verify it.
RUN mkdir /data && chown 1000:1000 /data
VOLUME /data
USER 1000:1000
EXPOSE 8080
# /healthz answers 200 while the process serves HTTP (docs/running.md "Health check"). No curl in
# the slim image: Node's fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ROLLCALL_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives `docker stop`'s SIGTERM itself (a shell would not pass it on).
CMD ["node", "bin/rollcall.js", "serve"]
