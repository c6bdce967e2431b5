#!/usr/bin/env bash
# The cluster (deploy/cluster.py, make cluster) and tests/deploy run Debian's nginx with
# its brotli module (deploy/nginx.conf loads it). Installs them when missing; the package's
# own service is never started (the cluster runs nginx itself, in a temporary folder).
set -euo pipefail
module=/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so
nginx="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
[ -x "$nginx" ] && [ -e "$module" ] && exit 0
packages="nginx libnginx-mod-http-brotli-filter"
if [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; then
  bash "$(dirname "$0")/apt_install.sh" $packages
else
  echo "nginx is missing: install Debian's 'nginx' and 'libnginx-mod-http-brotli-filter'" \
       "packages, or set NGINX=/path/to/nginx" >&2
  exit 1
fi
