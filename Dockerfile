# wechat-ai-gateway image: `docker build -t wechat-ai-gateway .` (docker-compose.yml builds it too).
# Three stages: production dependencies (better-sqlite3 compiles its native addon there), a build
# stage with dev dependencies that compiles src/ and bundles it into dist/ (scripts/build.mjs), and
# a slim runtime with the first's node_modules and the second's dist/: neither compilers nor TypeScript. Node 26 is the current
# LTS (CI runs every test on it; docs/performance.md measures it against 24); package.json "engines" accepts it.

FROM node:26-bookworm-slim AS deps
# better-sqlite3 builds from source when no prebuilt binary matches
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# `npm ci` runs the prepare script, which skips the build without TypeScript (production install)
COPY scripts/build.mjs scripts/build.mjs
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:26-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# no install scripts: the compiler needs no native addon (the runtime's comes from the deps stage)
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY src src
RUN npm run build

FROM node:26-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/app/data \
    LOG_FORMAT=json
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
# served at runtime: the console (/console), the mini-program library it loads, the sample knowledge base
COPY package.json ./
COPY console console
# the operators' page (/admin/, only with ADMIN_TOKEN)
COPY admin admin
COPY miniprogram/lib miniprogram/lib
COPY kb-sample kb-sample
# the image's non-root user (uid 1000) owns only the data directory
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# SQLite files: conversations without REDIS_URL (gateway.sqlite) and the knowledge base (kb.sqlite)
VOLUME ["/app/data"]
EXPOSE 8000
# no curl in the slim image: Node's own fetch. 503 while draining or when the store is down.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/wechat/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself as PID 1 (not npm): SIGTERM reaches the server, which drains (SHUTDOWN_GRACE_MS).
# The flags are npm start's (package.json): a young generation of 2 × 8 MB instead of Node's default
# 2 × 32 MB — about 70 MB less peak RSS under load for ~3% more CPU (docs/performance.md).
CMD ["node", "--max-semi-space-size=8", "dist/main.js"]
