# syntax=docker/dockerfile:1
# One image for every role; the command picks it:
#   docker run IMAGE            -> API + workers in one process (start)
#   docker run IMAGE serve      -> the API alone
#   docker run IMAGE worker     -> stage and predict workers
ARG NODE_IMAGE=node:24-bookworm-slim

# Build: every dependency (dev included) and the TypeScript build of the product (tsconfig.build.json:
# no tests, no benches, no source maps).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci runs `prepare` (api/bin/build.mjs --if-possible), which skips here: no source yet.
COPY api/bin/build.mjs ./api/bin/
RUN npm ci --omit=optional --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY api ./api
COPY workers ./workers
COPY core ./core
COPY schema ./schema
RUN npm run build

# Runtime dependencies only, with the native TensorFlow backend: its install script downloads
# libtensorflow (npm 11 runs it because package.json lists it in allowScripts).
# TypeScript stays out: npm keeps it as an optional peer of valibot (types only) because our
# devDependency is in the lockfile.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY api/bin/build.mjs ./api/bin/
RUN npm ci --omit=dev --no-audit --no-fund && rm -rf node_modules/typescript && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    TM_ARTIFACTS=/data/artifacts
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# The built product only: with no source beside it, the bin runs dist/ directly.
COPY --from=build /app/dist/api ./dist/api
COPY --from=build /app/dist/workers ./dist/workers
COPY --from=build /app/dist/core ./dist/core
COPY --from=build /app/dist/schema ./dist/schema
COPY package.json ./
COPY api/bin ./api/bin
COPY schema/*.yaml ./schema/
COPY data ./data
RUN mkdir -p /data/artifacts && chown -R node:node /data
USER node
EXPOSE 8080
# For the API roles; compose turns it off for workers, which do not listen.
HEALTHCHECK --interval=15s --timeout=3s --start-period=120s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "api/bin/threatmatrix.mjs"]
CMD ["start"]
