"""The Streamlit page, run headless with AppTest."""

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from mapapp import catalog, geo
from mapapp.demo import DEMO_LABEL


def run_page(**query: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    for key, value in query.items():
        app.query_params[key] = value
    return app.run()


@pytest.mark.parametrize("lang, title, families", [
    ("es", "Desarrollo sostenible en la Amazonía peruana", "87.200 familias"),
    ("en", "Sustainable development in the Peruvian Amazon", "87,200 families"),
])
def test_page_shows_demo_totals_labelled_as_demo(lang, title, families):
    app = run_page(lang=lang)
    assert not app.exception
    assert app.title[0].value == title
    assert DEMO_LABEL[lang] in [w.value for w in app.warning]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics[catalog.INDICATORS["families_supported"].label[lang]] == families
    captions = " ".join(c.value for c in app.caption)
    assert geo.ATTRIBUTION[lang] in captions


def test_switching_language_updates_the_url_and_labels():
    app = run_page()
    app.sidebar.radio(key="lang").set_value("en").run()
    assert app.query_params["lang"] == ["en"] or app.query_params["lang"] == "en"
    assert app.title[0].value.startswith("Sustainable")
