"""The store's schema migrations (Alembic): env.py, and one file a revision in versions/."""
