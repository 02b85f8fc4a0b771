# Portico container image: Node 24 LTS, non-root, read-only-root friendly.
#   docker build -t <registry>/portico:0.1.0 .
# docs/helm.md ("Image") covers building, pushing and running it.

# ---- build: compile TypeScript, then drop dev dependencies ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
# Manifests first so the dependency layer is cached across source changes.
COPY package.json package-lock.json ./
# --ignore-scripts: the package's `prepare` compiles the sources, which are not copied yet.
# npm install, not npm ci: the quiche binding (a dev dependency, for tests and the bench) lists
# prebuilt packages for other platforms that do not exist in the registry at its version, which
# npm ci refuses; npm install skips them.
RUN npm install --no-audit --no-fund --ignore-scripts
COPY . .
# The prune drops the dev dependencies, the quiche binding with them: the image has no native QUIC
# (HTTP/3 runs on Portico's own QUIC; `quic: quiche` is refused there, saying how to install it).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# A numeric user, so Kubernetes can verify runAsNonRoot; the Helm chart uses the same IDs.
USER 65532:65532
# web (HTTP), websecure (HTTPS over TCP, HTTP/3 over UDP), portico (ping, metrics, API).
EXPOSE 8000/tcp 8443/tcp 8443/udp 9000/tcp
# `portico healthcheck` (as `traefik healthcheck --ping`) reads the same static configuration
# and asks /ping on the ping entrypoint (the Helm chart puts it on `portico`, :9000); no curl needed.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "dist/src/cli.js", "healthcheck", "--config", "/etc/portico/portico.yaml"]
# A larger young generation: see docs/configuration.md ("Runtime tuning").
ENTRYPOINT ["node", "--max-semi-space-size=64", "dist/src/cli.js"]
CMD ["--config", "/etc/portico/portico.yaml"]
