"""The page's published data: which datasets there are, login, and for publishers the
publish form, retiring versions and the audit. Part of the Streamlit layer (with
app.py); the decisions are plain functions in ``mapapp.published`` and the store.

Configuration is in ``.streamlit/secrets.toml``: ``[auth]`` (Streamlit's own OpenID
Connect login) turns login on; ``[mapapp]`` holds ``publishers`` (e-mails, or domains
as ``@example.org``), ``require_login`` and ``default_dataset``. Without ``[auth]`` the
page is open and read-only: publishing is the command line's (``python -m mapapp
publish``), on the server.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from mapapp.model.catalog import Lang
from mapapp.model.formatting import escape_markdown, format_number
from mapapp.model.i18n import t
from mapapp.published import is_publisher
from mapapp.store import FileInfo, Store, StoreError, default_url

LOG = logging.getLogger(__name__)
_STORES: dict[str, Store] = {}


@dataclass(frozen=True)
class PageConfig:
    auth: bool  # an [auth] section: login is on
    publishers: tuple[str, ...] = ()
    require_login: bool = False
    default_dataset: str | None = None


def page_config() -> PageConfig:
    try:
        secrets = st.secrets.to_dict()
    except Exception:  # no secrets file at all (StreamlitSecretNotFoundError): all defaults
        return PageConfig(auth=False)
    ours = secrets.get("mapapp") or {}
    publishers = ours.get("publishers") or ()
    if isinstance(publishers, str):
        publishers = (publishers,)
    return PageConfig(auth="auth" in secrets, publishers=tuple(map(str, publishers)),
                      require_login=bool(ours.get("require_login", False)),
                      default_dataset=str(ours["default_dataset"])
                      if ours.get("default_dataset") else None)


def page_store() -> Store | None:
    """The store for this process (None, logged, when it cannot be opened: the page then
    shows the demo with a note, and tries again on the next run)."""
    url = default_url()
    store = _STORES.get(url)
    if store is None:
        try:
            store = _STORES[url] = Store(url)
        except StoreError:
            LOG.exception("the dataset store cannot be opened")
            return None
    return store


def user_email() -> str | None:
    """The logged-in user's e-mail (None without login)."""
    if not st.user.get("is_logged_in", False):
        return None
    email = st.user.get("email")
    return str(email) if email else None


def can_publish(config: PageConfig) -> bool:
    return config.auth and is_publisher(user_email(), config.publishers)


def login_gate(config: PageConfig, lang: Lang) -> bool:
    """False (after drawing a login button) when every viewer must log in first."""
    if not (config.auth and config.require_login) or st.user.get("is_logged_in", False):
        return True
    st.title(t("title", lang))
    st.info(t("login_required", lang), icon=":material/lock:")
    if st.button(t("login", lang), type="primary", key="login-gate"):
        st.login()  # Streamlit's documented pattern: called in the run, not in a callback
    return False


def account(config: PageConfig, lang: Lang) -> None:
    """Log in / out, in the sidebar, when login is on."""
    if not config.auth:
        return
    email = user_email()
    if email is None:
        if st.sidebar.button(t("login", lang), key="login"):
            st.login()
        return
    role = t("publisher", lang) if is_publisher(email, config.publishers) else t("viewer", lang)
    st.sidebar.caption(escape_markdown(f"{email} · {role}"))
    if st.sidebar.button(t("logout", lang), key="logout"):
        st.logout()


# --- choosing a published dataset ---------------------------------------------------

@st.cache_data(ttl=3, show_spinner=False)
def _listed(database: str) -> list[tuple[str, str]]:
    """(slug, title) of the datasets not retired; a few seconds old at most."""
    store = page_store()
    return [] if store is None else [(d.slug, d.title) for d in store.datasets()]


def dataset_picker(lang: Lang, current: str | None, choose: Callable[[str | None], None]
                   ) -> None:
    """A select box of the published datasets (and the demo, or the default)."""
    store = page_store()
    if store is None:
        return
    try:
        listed = dict(_listed(default_url()))
    except StoreError as exc:
        st.sidebar.caption(escape_markdown(exc.text(lang)))
        return
    if not listed and not current:
        return
    options = ["", *listed]
    if current and current not in options:
        options.append(current)  # a pinned version, or a retired one a publisher opened
    st.sidebar.selectbox(
        t("published_data", lang), options, index=options.index(current or ""),
        format_func=lambda ref: listed.get(ref, ref) if ref else t("default_data", lang),
        key=f"w_data_pick_{current}", on_change=_picked, args=(choose, current))


def _picked(choose: Callable[[str | None], None], current: str | None) -> None:
    choose(st.session_state.get(f"w_data_pick_{current}") or None)


# --- publishing, for publishers ------------------------------------------------------

def suggested_slug(file_name: str) -> str:
    """A dataset name from a file name: ``Resultados T3 2026.xlsx`` → ``resultados-t3-2026``."""
    stem = file_name.rsplit(".", 1)[0].lower()
    slug = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:63].strip("-")
    return slug or "resultados"


def publish_form(lang: Lang, report, file: FileInfo, localities, store: Store | None,
                 published: Callable[[str, int], None]) -> None:
    """Under a valid upload's report: publish it as a new version of a dataset."""
    if store is None:
        st.error(t("store_unavailable_note", lang))
        return
    with st.form("publish", border=True):
        st.markdown(f"**{t('publish', lang)}**")
        slug = st.text_input(t("dataset_name", lang), value=suggested_slug(file.name),
                             help=t("dataset_name_help", lang), max_chars=63)
        title = st.text_input(t("dataset_title", lang), value=file.name[:200], max_chars=200)
        note = st.text_area(t("dataset_note", lang), max_chars=2000)
        if not st.form_submit_button(t("publish", lang), type="primary"):
            return
    by = user_email() or "?"
    locality_report, locality_file = localities or (None, None)
    try:
        done = store.publish(slug.strip(), title.strip() or file.name, report, file, by=by,
                             note=note, localities=locality_report,
                             localities_file=locality_file)
    except StoreError as exc:
        st.error(escape_markdown(exc.text(lang)))
        return
    _listed.clear()
    published(done.slug, done.version)


def manage(lang: Lang, store: Store | None) -> None:
    """Publishers: retire a version or a dataset, and what every session changed."""
    if store is None:
        return
    with st.sidebar.expander(t("manage_published", lang)):
        try:
            versions = [(d.slug, v) for d in store.datasets() for v in store.versions(d.slug)
                        if v.retired_at is None]
            audit = store.audit(limit=200)
        except StoreError as exc:
            st.error(escape_markdown(exc.text(lang)))
            return
        if versions:
            refs = [f"{slug}@{v.version}" for slug, v in versions]
            chosen = st.selectbox(t("version", lang), refs, key="w_retire_ref")
            if st.button(t("retire", lang), key="retire"):
                slug, _, number = chosen.partition("@")
                try:
                    store.retire(slug, int(number), by=user_email() or "?")
                    _listed.clear()
                    st.success(escape_markdown(t("retired_done", lang).format(ref=chosen)))
                except StoreError as exc:
                    st.error(escape_markdown(exc.text(lang)))
        st.markdown(f"**{t('audit', lang)}**")
        st.dataframe(pd.DataFrame(
            [(e.at.strftime("%Y-%m-%d %H:%M"), e.actor, e.action,
              f"{e.slug}@{e.version}" if e.version else e.slug, e.detail) for e in audit],
            columns=[t(c, lang) for c in ("when", "who", "what", "dataset", "detail")]),
            hide_index=True, width="stretch")


def version_caption(info, lang: Lang) -> str:
    """Under the banner: the version shown, who published it and when, its rows."""
    return escape_markdown(t("version_caption", lang).format(
        ref=f"{info.slug}@{info.version}", by=info.published_by,
        date=info.published_at.strftime("%Y-%m-%d %H:%M UTC"),
        rows=format_number(info.rows_valid, lang)))
