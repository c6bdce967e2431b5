# nginx in front of the replicas: Debian's nginx and brotli module, as deploy/cluster.py
# runs them here. NOT built here (no Docker on the build machine).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx libnginx-mod-http-brotli-filter \
 && rm -rf /var/lib/apt/lists/*
# deploy/nginx.conf's relative paths are under the prefix /srv/nginx; logs to docker's.
RUN mkdir -p /srv/nginx/logs /srv/nginx/temp \
 && ln -sf /dev/stdout /srv/nginx/logs/access.log \
 && ln -sf /dev/stderr /srv/nginx/logs/error.log
COPY deploy/nginx.conf deploy/upstream.conf /etc/mapapp-nginx/
EXPOSE 8080
# nginx's /healthz (a replica answers), over bash's /dev/tcp: the image has no curl.
HEALTHCHECK --interval=15s --timeout=3s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
CMD ["nginx", "-p", "/srv/nginx/", "-c", "/etc/mapapp-nginx/nginx.conf", "-g", "daemon off;"]
