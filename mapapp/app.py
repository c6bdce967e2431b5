"""The Streamlit page. The only module that imports streamlit: it gathers options
and shows what the pure modules compute."""

from __future__ import annotations

import streamlit as st

from mapapp import catalog, geo
from mapapp.catalog import Lang
from mapapp.demo import DEMO_LABEL, RESULTS_FILE
from mapapp.fmt import format_share, format_value
from mapapp.i18n import DEFAULT_LANG, QUALIFIER, t
from mapapp.results import ValidationReport, read_results
from mapapp.summary import KPI, goal_kpis


@st.cache_resource(show_spinner=False)
def demo_results() -> ValidationReport:
    return read_results(RESULTS_FILE.read_bytes(), RESULTS_FILE.name)


def current_lang() -> Lang:
    lang = st.query_params.get("lang", DEFAULT_LANG)
    return lang if lang in catalog.LANGS else DEFAULT_LANG


def main() -> None:
    st.set_page_config(page_title="mapapp", page_icon="🗺️", layout="wide")
    lang = current_lang()
    chosen = st.sidebar.radio(t("language", lang), catalog.LANGS, index=catalog.LANGS.index(lang),
                              format_func=lambda code: {"es": "Español", "en": "English"}[code],
                              key="lang")
    if chosen != lang:
        st.query_params["lang"] = chosen
        st.rerun()
    st.title(t("title", lang))
    st.caption(t("subtitle", lang))
    try:
        report = demo_results()
    except geo.GeodataError as exc:
        st.error(str(exc))
        st.stop()
    st.warning(DEMO_LABEL[lang], icon="⚠️")
    st.info(t("map_coming", lang))
    columns = st.columns(len(catalog.GOALS))
    for column, goal in zip(columns, catalog.GOALS, strict=True):
        with column:
            st.subheader(f"{t('goal', lang)} {goal.number}: {goal.title[lang]}")
            st.caption(goal.text[lang])
            for kpi in goal_kpis(report.valid, goal.number):
                _show_kpi(kpi, lang)
    st.subheader(t("headline", lang))
    for column, kpi in zip(st.columns(2), goal_kpis(report.valid, None), strict=True):
        with column:
            _show_kpi(kpi, lang)
    st.caption(f"{t('data', lang)}: {catalog.SOURCE_DOCUMENT[lang]} · {DEMO_LABEL[lang]}")
    st.caption(f"{t('source', lang)}: {geo.ATTRIBUTION[lang]}")


def _show_kpi(kpi: KPI, lang: Lang) -> None:
    ind = catalog.INDICATORS[kpi.indicator]
    label = ind.label[lang]
    if kpi.value_chain:
        label += f" — {catalog.VALUE_CHAINS[kpi.value_chain].label[lang]}"
    unit = ind.unit[lang]
    figure = QUALIFIER[kpi.figure.qualifier] + format_value(kpi.figure.value, unit, lang)
    help_text = f"{t('fact_sheet', lang)}: {figure}"
    delta = None
    if kpi.share_of_figure is not None:
        delta = f"{format_share(kpi.share_of_figure, lang)} {t('of_fact_sheet', lang)}"
    st.metric(label, format_value(kpi.value, unit, lang), delta=delta, delta_color="off",
              delta_arrow="off", help=help_text)
    st.caption(help_text)
