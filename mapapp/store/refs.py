"""Names and references: where the store lives by default, what a dataset may be called
(its slug goes into links and file names, so it is kept to a safe alphabet), and the
limits on what people type beside it."""

from __future__ import annotations

import os
from pathlib import Path

from mapapp.model.messages import msg
from mapapp.model.view import SLUG, parse_data_ref
from mapapp.store.errors import InvalidSlug, StoreError

SLUG_RULE = SLUG  # the one rule, links' and the store's
LIMITS = {"title": 200, "note": 2000, "by": 200}  # characters


def default_url() -> str:
    """``MAPAPP_DATABASE_URL``, else a SQLite file in the user's data folder (created):
    ``$MAPAPP_DATA_DIR``, else ``${XDG_DATA_HOME:-~/.local/share}/mapapp``, so that a
    fresh clone runs with no setup and never writes into its own tracked files."""
    url = os.environ.get("MAPAPP_DATABASE_URL", "").strip()
    if url:
        return url
    folder = os.environ.get("MAPAPP_DATA_DIR", "").strip()
    if not folder:
        base = os.environ.get("XDG_DATA_HOME", "").strip() or Path.home() / ".local" / "share"
        folder = Path(base) / "mapapp"
    path = Path(folder).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'mapapp.sqlite'}"


def check_slug(slug: object) -> str:
    """``slug`` when it follows SLUG_RULE, else InvalidSlug naming the value and the rule."""
    if not isinstance(slug, str) or not SLUG_RULE.fullmatch(slug):
        raise InvalidSlug(msg("store_bad_slug", value=_quoted(slug)))
    return slug


def parse_ref(text: str) -> tuple[str, int | None]:
    """``"slug"`` → (slug, None), the latest version; ``"slug@3"`` → (slug, 3): a link's
    syntax (``view.parse_data_ref``), refused with the store's message."""
    if not isinstance(text, str):
        raise InvalidSlug(msg("store_bad_ref", value=_quoted(text)))
    text = text.strip()
    if "@" not in text:
        return check_slug(text), None
    try:
        return parse_data_ref(text)
    except ValueError:
        slug = text.partition("@")[0]
        check_slug(slug)  # names the slug when it is the slug that is wrong
        raise InvalidSlug(msg("store_bad_ref", value=_quoted(text))) from None


def check_text(field: str, value: str, *, required: bool) -> str:
    """A title, note or user name, stripped, within its limit (StoreError names both)."""
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a str, not {type(value).__name__}")
    value = value.strip()
    name = msg(f"store_field_{field}")
    if required and not value:
        raise StoreError(msg("store_field_empty", field=name))
    if len(value) > LIMITS[field]:
        raise StoreError(msg("store_too_long", field=name, length=len(value),
                             limit=LIMITS[field]))
    return value


def _quoted(value: object) -> str:
    text = repr(value)  # quoted, control characters shown escaped
    return text if len(text) <= 80 else text[:77] + "…'"
