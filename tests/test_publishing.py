"""Published datasets on the page (AppTest): links to a dataset and to one version, the
default dataset, notes for what cannot be shown, and the publish/retire flow of a
logged-in publisher. The store is a SQLite file of each test's own."""

import json
import re

import pytest
from helpers import ROOT, csv_bytes
from streamlit.testing.v1 import AppTest

from mapapp.ingest.results import read_results
from mapapp.model.formatting import escape_markdown
from mapapp.model.provenance import DEMO_LABEL
from mapapp.store import FileInfo, Store

HEADER = ["ubigeo", "year", "indicator", "value"]


def results_csv(families: int, extra: int = 0) -> bytes:
    """Families supported in two San Martín districts in 2021 (and ``extra`` in 2022)."""
    rows = [HEADER, ["220901", 2021, "families_supported", families],
            ["221001", 2021, "families_supported", 100]]
    if extra:
        rows.append(["220901", 2022, "families_supported", extra])
    return csv_bytes(rows)


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv("MAPAPP_DATABASE_URL", url)
    return Store(url)


def publish(store: Store, slug: str, data: bytes, title: str = "Resultados T3",
            by: str = "ana@example.org"):
    report = read_results(data, f"{slug}.csv")
    return store.publish(slug, title, report, FileInfo.of(data, f"{slug}.csv"), by=by)


def run_page(secrets: dict | None = None, user: dict | None = None, **query) -> AppTest:
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    for key, value in (secrets or {}).items():
        app.secrets[key] = value
    if user is not None:
        app.user = user
    for key, value in query.items():
        app.query_params[key] = value
    return app.run()


def texts(app: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "caption", "markdown", "warning",
                                  "info", "success", "error") for e in getattr(app, kind)]
    return re.sub(r"\\(\W)", r"\1", "\n".join(str(p) for p in parts))  # markdown escapes


def families(app: AppTest) -> str:
    """The goals panel's families figure as the page writes it (es: "5.100 familias")."""
    return next(line for line in texts(app).splitlines()
                if re.search(r"\d familias", line))


def map_payload(app: AppTest) -> str:
    element = next(e for e in app.main if type(e).__name__ == "UnknownElement"
                   and "st_folium" in e.proto.component_name)
    payload = json.loads(element.proto.json_args)
    return payload["script"] + (payload["feature_group"] or "")


def data_param(app: AppTest) -> str | None:
    value = app.query_params.get("data")
    return value[-1] if isinstance(value, list) else value


def test_a_link_shows_the_latest_version_and_an_at_link_keeps_its_version(store):
    publish(store, "resultados", results_csv(1200))
    publish(store, "resultados", results_csv(5000))
    latest = run_page(lang="es", data="resultados")
    assert not latest.exception
    assert "5.100" in families(latest)  # 5,000 + 100
    assert "resultados@2" in texts(latest) and DEMO_LABEL["es"] not in texts(latest)
    assert data_param(latest) == "resultados"
    first = run_page(lang="es", data="resultados@1")
    assert "1.300" in families(first) and "resultados@1" in texts(first)
    assert data_param(first) == "resultados@1"


HOSTILE = "T3 <img src=x onerror=alert(1)> {{7*7}} [a](javascript:x) **b**"


def test_a_hostile_title_is_text_on_the_page_and_in_the_map(store):
    publish(store, "resultados", results_csv(1200), title=HOSTILE)
    app = run_page(lang="es", data="resultados")
    banner = next(s.value for s in app.success)
    assert banner.endswith(escape_markdown(HOSTILE))  # shown as typed, not as markdown
    assert any(escape_markdown(f"«{HOSTILE}» (resultados@1, publicado el") in c.value
               for c in app.caption)  # the sources line under the map
    payload = map_payload(app)
    assert "<img src=x" not in payload and "lt;img src=x onerror=alert(1)" in payload
    assert "{{7*7}}" not in payload  # no template braces reach any template engine


@pytest.mark.parametrize("asked, note", [
    ("nada", "data='nada': no hay un conjunto de datos publicado con ese nombre"),
    ("resultados@9", "data='resultados@9': no hay un conjunto de datos publicado con ese"),
    ("retirado", "data='retirado': retirado por ana@example.org el 20"),
    ("vigente@1", "data='vigente@1': retirado por luis el 20"),
])
def test_a_link_to_what_cannot_be_shown_says_why_and_shows_the_demo(store, asked, note):
    publish(store, "resultados", results_csv(1200))
    publish(store, "retirado", results_csv(300))
    store.retire("retirado", by="ana@example.org")
    publish(store, "vigente", results_csv(10))
    publish(store, "vigente", results_csv(20))
    store.retire("vigente", 1, by="luis")
    app = run_page(lang="es", data=asked)
    assert not app.exception
    assert note in texts(app)
    assert DEMO_LABEL["es"] in texts(app)
    assert data_param(app) is None  # the link's dataset leaves the URL


@pytest.mark.parametrize("asked", ["../etc", "A B", "x@0", "x@-1", "x" * 300, "{{7*7}}"])
def test_a_malformed_data_parameter_is_a_note(store, asked):
    app = run_page(lang="en", data=asked)
    assert not app.exception
    assert "data=" in texts(app) and DEMO_LABEL["en"] in texts(app)


def test_a_store_that_cannot_be_reached_gives_a_note_and_the_demo(monkeypatch):
    monkeypatch.setenv("MAPAPP_DATABASE_URL", "postgresql+psycopg://u:secret@127.0.0.1:9/x")
    app = run_page(lang="en", data="resultados")
    assert not app.exception
    page = texts(app)
    assert DEMO_LABEL["en"] in page and "secret" not in page
    assert data_param(app) == "resultados"  # the link works again once the store is back


def test_the_default_dataset_is_the_home_page(store):
    publish(store, "oficial", results_csv(7000))
    app = run_page(secrets={"mapapp": {"default_dataset": "oficial"}}, lang="es")
    assert "7.100" in families(app) and DEMO_LABEL["es"] not in texts(app)
    assert data_param(app) is None  # the home page follows the default


AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "x" * 32, "client_id": "mapapp", "client_secret": "s",
                 "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"},
        "mapapp": {"publishers": ["@example.org"]}}


def upload(app: AppTest, data: bytes, name: str) -> AppTest:
    app.sidebar.file_uploader(key="upload_results").upload(name, data, "text/csv")
    return app.run()


def test_a_publisher_publishes_an_upload_and_retires_it(store):
    publisher = {"is_logged_in": True, "email": "ana@example.org"}
    app = run_page(secrets=AUTH, user=publisher, lang="es")
    app = upload(app, results_csv(4200), "Resultados T4.csv")
    app.text_input[0].set_value("t4")
    app.text_input[1].set_value("Cuarto trimestre")
    next(b for b in app.button if b.label == "Publicar").click()
    app.run()
    assert not app.exception
    assert [(d.slug, d.latest, d.published_by) for d in store.datasets()] == [
        ("t4", 1, "ana@example.org")]
    assert data_param(app) == "t4" and "4.300" in families(app)
    assert [e.action for e in store.audit()] == ["publish"]
    app.sidebar.selectbox(key="w_retire_ref").set_value("t4@1")
    next(b for b in app.sidebar.button if b.label == "Retirar").click()
    app.run()
    assert store.datasets() == [] and store.audit()[0].action == "retire"  # newest first


@pytest.mark.parametrize("user", [
    {"is_logged_in": True, "email": "eve@elsewhere.org"},  # logged in, not a publisher
    {"is_logged_in": False},
])
def test_only_publishers_see_publish_and_manage(store, user):
    app = run_page(secrets=AUTH, user=user, lang="es")
    app = upload(app, results_csv(4200), "r.csv")
    assert "Publicar" not in [b.label for b in app.button]
    assert "Gestionar datos publicados" not in [e.label for e in app.sidebar.expander]


def test_require_login_shows_only_the_login_button(store):
    secrets = {**AUTH, "mapapp": {"require_login": True}}
    app = run_page(secrets=secrets, user={"is_logged_in": False}, lang="en")
    assert not app.exception
    assert [b.label for b in app.button] == ["Log in"]
    assert "Log in to see the map." in texts(app) and not app.subheader  # no map title


def test_while_the_store_cannot_be_reached_the_page_keeps_the_version_it_showed(
        store, monkeypatch):
    from mapapp.store import StoreUnavailable

    publish(store, "resultados", results_csv(1200))
    assert "1.300" in families(run_page(lang="es", data="resultados"))

    def down(*args, **kwargs):
        raise StoreUnavailable("the database cannot be reached")
    monkeypatch.setattr(Store, "resolve", down)
    app = run_page(lang="es", data="resultados")
    assert not app.exception
    assert "1.300" in families(app) and "resultados@1" in texts(app)
    assert "se muestra resultados@1, la última versión vista" in texts(app)
    assert data_param(app) == "resultados"
    unseen = run_page(lang="es", data="otro")  # never shown here: the demo, and why
    assert DEMO_LABEL["es"] in texts(unseen) and "the database cannot be reached" in texts(
        unseen)
