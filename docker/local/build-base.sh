#!/usr/bin/env bash
# Builds the two base images docker/Dockerfile needs from Debian packages and this machine's .NET, for a Docker host
# that reaches no image registry (Debian's docker.io with `dockerd --storage-driver=vfs --iptables=false --bridge=none`):
#   sisom-local/sdk:10.0     Debian 12 (debootstrap --variant=minbase) + the host's .NET SDK (/usr/share/dotnet)
#   sisom-local/aspnet:10.0  Debian 12 + the host's ASP.NET Core and .NET runtimes only (no SDK), curl, user app (1654)
# Then:  docker build --network host --build-arg BASE_REGISTRY=sisom-local -f docker/Dockerfile -t sisom-server:local .
# The default (no --build-arg) stays mcr.microsoft.com/dotnet/{sdk,aspnet}:10.0.
#   sudo docker/local/build-base.sh            (needs debootstrap; DOTNET_ROOT defaults to the host's dotnet)
set -euo pipefail
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${DEBIAN_SUITE:-bookworm}
dotnet_root=${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}
tag=${SISOM_BASE_TAG:-10.0}
work=${SISOM_BASE_WORK:-/var/tmp/sisom-base}

[ -x "$dotnet_root/dotnet" ] || { echo "no dotnet under $dotnet_root (set DOTNET_ROOT)" >&2; exit 2; }
ls "$dotnet_root/shared/Microsoft.AspNetCore.App" >/dev/null 2>&1 || { echo "$dotnet_root has no ASP.NET Core runtime" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 2; }

rootfs=$work/rootfs
if [ ! -x "$rootfs/usr/bin/curl" ]; then
  rm -rf "$rootfs"
  mkdir -p "$work"
  # The .NET runtime's native dependencies (ICU, OpenSSL, zlib), CA certificates, tzdata, and curl for HEALTHCHECK.
  debootstrap --variant=minbase --include=ca-certificates,curl,libicu72,libssl3,zlib1g,tzdata "$suite" "$rootfs" "$mirror"
fi

# The same user as the official images: app, UID/GID 1654.
if ! grep -q '^app:' "$rootfs/etc/passwd"; then
  chroot "$rootfs" groupadd --gid 1654 app
  chroot "$rootfs" useradd --uid 1654 --gid 1654 --home-dir /app --no-create-home --shell /usr/sbin/nologin app
fi
rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"*.bin "$rootfs/usr/share/doc/"* "$rootfs/usr/share/man/"* "$rootfs/usr/share/info/"*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +

# This machine's extra certificate authorities (a TLS-inspecting egress proxy, say) for the SDK image only, so that
# `dotnet restore` in the build stage reaches nuget.org as the host does; NUGET_CERT_REVOCATION_MODE follows the host's.
extra_ca=${SISOM_BASE_EXTRA_CA:-/usr/local/share/ca-certificates}

# One tar per image: the Debian tree, plus /usr/share/dotnet (all of it for the SDK; host + shared runtimes for aspnet).
import() { # name, dotnet parts...
  local name=$1; shift
  local stage=$work/$name env='ENV DOTNET_ROOT=/usr/share/dotnet DOTNET_RUNNING_IN_CONTAINER=true DOTNET_NOLOGO=1 APP_UID=1654 LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  if [ -n "${SISOM_BASE_ONLY:-}" ] && [ "$SISOM_BASE_ONLY" != "$name" ]; then return; fi
  rm -rf "$stage"; mkdir -p "$stage/usr/share/dotnet" "$stage/usr/bin"
  for part in "$@"; do cp -a "$dotnet_root/$part" "$stage/usr/share/dotnet/"; done
  ln -sf /usr/share/dotnet/dotnet "$stage/usr/bin/dotnet"
  tar -C "$rootfs" -c . | tar -C "$stage" -x --skip-old-files
  if [ "$name" = sdk ]; then
    rm -rf "$stage"/usr/share/dotnet/sdk/*/FSharp       # C# only
    if compgen -G "$extra_ca/*.crt" >/dev/null; then
      mkdir -p "$stage/usr/local/share/ca-certificates"
      cp "$extra_ca"/*.crt "$stage/usr/local/share/ca-certificates/"
      cat "$extra_ca"/*.crt >>"$stage/etc/ssl/certs/ca-certificates.crt"
    fi
    env="$env NUGET_CERT_REVOCATION_MODE=${NUGET_CERT_REVOCATION_MODE:-online}"
  fi
  tar -C "$stage" -c . | docker import -c "$env" -c 'CMD ["/bin/bash"]' - "sisom-local/$name:$tag"
  rm -rf "$stage"
}
# SISOM_BASE_ONLY=sdk|aspnet rebuilds one of them.
import sdk dotnet host shared sdk packs LICENSE.txt ThirdPartyNotices.txt
import aspnet dotnet host shared LICENSE.txt ThirdPartyNotices.txt
docker image ls 'sisom-local/*'
