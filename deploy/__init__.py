"""Production configuration (nginx, Docker, compose) and a local cluster (cluster.py)."""
