# syntax=docker/dockerfile:1

# ---- build: compile TypeScript, bundle it (dist/gatehouse.mjs), build the native modules (better-sqlite3) ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json app.ts logger.ts server.ts ./
COPY scripts/bundle.mjs ./scripts/bundle.mjs
COPY src ./src
COPY schemas ./schemas
COPY plugins ./plugins
COPY routes ./routes
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies and compiled JavaScript only ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
# Owned by root and read-only for the service user: the code cannot be modified at run time.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# The node flags are package.json's config.nodeFlags, as `npm start` uses them (README, "Running in production").
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=512", "dist/gatehouse.mjs"]
