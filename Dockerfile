# stylize-video as a container image: the CLI, its runtime dependencies (ONNX Runtime on CPU, the
# static ffmpeg/ffprobe from npm) and the built-in styles; models cached on a volume at /cache.
# Build: docker build -t stylize-video .   (docs/container.md: running it, Kubernetes, Apptainer)
# BASE is any Debian-based image with Node >= 20.9 and npm in /usr/local (CI builds one from
# Debian's packages: test/container/base.sh).
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /src
COPY . .
# npm ci also builds dist/ (prepare). The optional native TensorFlow packages download their
# library at install time and are dropped where that fails, by design: ONNX Runtime is the CPU
# engine, and its CPU binaries are in its package (its install script fetches CUDA's; npm 10 runs it).
# What the failed packages alone needed stays in node_modules (npm prune keeps it): what `npm ls`
# calls extraneous goes, and so do the other platforms' ONNX Runtime binaries. The image runs as a
# user other than root, so what only root may run (ffprobe's package makes it u+x) is made a+x.
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && node -e "require.resolve('onnxruntime-node')" \
 && npm ls --all --parseable --long --omit=dev | sed -n 's/:[^:]*:EXTRANEOUS$//p' | xargs -r rm -rf \
 && arch=$(node -p process.arch) \
 && find node_modules/onnxruntime-node/bin -mindepth 2 -maxdepth 2 ! -name linux -exec rm -rf {} + \
 && find node_modules/onnxruntime-node/bin -mindepth 3 -maxdepth 3 ! -name "$arch" -exec rm -rf {} + \
 && find node_modules -type f -perm -u+x -exec chmod a+x {} + \
 && mkdir -p assets

FROM ${BASE}
# A user of its own (not the base's), so that the same uid owns /cache on every base.
RUN groupadd --gid 10001 stylize \
 && useradd --uid 10001 --gid stylize --home-dir /home/stylize --create-home --shell /usr/sbin/nologin stylize \
 && mkdir -p /cache /data \
 && chown stylize:stylize /cache /data
WORKDIR /app
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules node_modules/
COPY --from=build /src/bin bin/
COPY --from=build /src/dist dist/
COPY --from=build /src/assets assets/
RUN ln -s /app/bin/stylize-video.js /usr/local/bin/stylize-video
# Downloaded and converted models go to $XDG_CACHE_HOME/stylize-video/models: mount a volume at
# /cache so that pods and runs share them; STYLIZE_VIDEO_MODELS=<folder> also works, read-only.
ENV XDG_CACHE_HOME=/cache NODE_ENV=production
VOLUME /cache
USER stylize
WORKDIR /data
ENTRYPOINT ["stylize-video"]
CMD ["--help"]
