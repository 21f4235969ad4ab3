# One image for every role; the command picks it (default: stage workers).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=optional --no-audit --no-fund
COPY tsconfig.json ./
COPY api ./api
COPY workers ./workers
COPY core ./core
COPY schema ./schema
# Tests and benches type-check with the rest (unit tests import test/ helpers).
COPY bench ./bench
COPY test ./test
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schema ./schema
COPY data ./data
USER node
ENV TM_ARTIFACTS=/tmp/threatmatrix
CMD ["node", "dist/workers/cli/main.js", "worker"]
