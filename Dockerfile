# syntax=docker/dockerfile:1

# The base of both stages. CI builds on a stand-in with this very name where
# the registry cannot be reached (test/container/stand-in-base.sh).
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: compile TypeScript, bundle it (dist/gatehouse.mjs), build the native modules (better-sqlite3) ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# better-sqlite3 is compiled here, against the headers the Node image ships in
# /usr/local/include/node: node-gyp downloads nothing, and no prebuilt binary
# is fetched from outside the npm registry.
ENV npm_config_nodedir=/usr/local \
    npm_config_build_from_source=true
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# The sources, in one layer (each layer is a full copy on some storage
# drivers): .dockerignore keeps out everything the build does not read.
COPY . .
# Then only what runs goes to /out: no source maps, no esbuild metafile or
# legal-comment file (the bundled packages are in node_modules with their
# licences), and of the native SQLite modules only the addon itself: the one
# compiled here (better-sqlite3 12, for Node 20) or the prebuilt one for this
# platform (better-sqlite3 13, which Node 22+ loads: src/store/sqlite-driver.ts).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && find dist node_modules -name '*.map' -type f -delete \
 && rm -f dist/gatehouse.meta.json dist/gatehouse.mjs.LEGAL.txt \
 && for addon in node_modules/better-sqlite3 node_modules/better-sqlite3-node20; do \
      (cd "$addon" \
       && if [ -f build/Release/better_sqlite3.node ]; then mv build/Release/better_sqlite3.node /tmp/addon.node; fi \
       && rm -rf build deps src binding.gyp \
       && if [ -f /tmp/addon.node ]; then mkdir -p build/Release && mv /tmp/addon.node build/Release/; fi \
       && if [ -d prebuilds ]; then find prebuilds -type f ! -name "linux-$(node -p process.arch).node" -delete; fi) || exit 1; \
    done \
 && mkdir /out \
 && cp -a package.json node_modules dist bin /out/

# ---- runtime: production dependencies and compiled JavaScript only ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
# Owned by root and read-only for the service user: the code cannot be modified at run time.
COPY --from=build /out ./
# `gatehouse` on PATH: the same command as in a clone (package.json "bin").
RUN ln -s /app/bin/gatehouse.mjs /usr/local/bin/gatehouse \
 && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# The node flags are package.json's config.nodeFlags, as `npm start` uses them (README, "Running in production").
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=512", "dist/gatehouse.mjs"]
