"""Indicators, value chains and goals of the program, with es/en labels.

Every national figure comes from the USAID/Peru fact sheet "Desarrollo
sostenible" (2018–2022); see ``../shared/seed`` and DESIGN.md's catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Lang = Literal["es", "en"]
LANGS: tuple[Lang, ...] = ("es", "en")

PROGRAM_YEARS = (2018, 2022)  # the fact sheet's period


@dataclass(frozen=True)
class NationalFigure:
    """A figure as the fact sheet states it: ``qualifier`` is "=", "≈" or ">"."""

    value: float
    qualifier: str = "="
    value_chain: str | None = None


@dataclass(frozen=True)
class Indicator:
    id: str
    label: dict[str, str]
    unit: dict[str, str]
    goal: int | None  # 1..3, None for the headline results
    aggregation: Literal["sum", "weighted_mean"]
    figures: tuple[NationalFigure, ...]
    by_value_chain: bool = False
    # Weighted means are weighted by this indicator at the same place and year.
    weight_indicator: str | None = None
    max_value: float | None = None  # values above it are rejected
    warn_above: float | None = None  # values above it are accepted with a warning

    @property
    def is_percentage(self) -> bool:
        return self.unit["en"] == "%"

    def national_total(self) -> float:
        """Sum of the figures, the value a demo dataset totals to (N for "> N", "≈ N")."""
        return sum(figure.value for figure in self.figures)


def _fig(value: float, qualifier: str = "=", chain: str | None = None) -> NationalFigure:
    return NationalFigure(value, qualifier, chain)


INDICATORS: dict[str, Indicator] = {
    ind.id: ind
    for ind in [
        Indicator(
            "families_supported",
            {"es": "Familias apoyadas", "en": "Families supported"},
            {"es": "familias", "en": "families"},
            3, "sum", (_fig(87_200, "≈"),), by_value_chain=True,
        ),
        Indicator(
            "hectares",
            {"es": "Hectáreas instaladas", "en": "Hectares established"},
            {"es": "ha", "en": "ha"},
            2, "sum", (_fig(33_619, "=", "cafe"), _fig(80_986, "=", "cacao")),
            by_value_chain=True,
        ),
        Indicator(
            "families_financed",
            {"es": "Familias con acceso a financiamiento", "en": "Families with access to finance"},
            {"es": "familias", "en": "families"},
            3, "sum", (_fig(36_722),), by_value_chain=True,
        ),
        Indicator(
            "financing_usd",
            {"es": "Financiamiento movilizado", "en": "Finance accessed"},
            {"es": "US$", "en": "US$"},
            3, "sum", (_fig(92_132_183),), by_value_chain=True,
        ),
        Indicator(
            "connected_localities",
            {"es": "Localidades conectadas a Internet 4G", "en": "Localities connected to 4G"},
            {"es": "localidades", "en": "localities"},
            3, "sum", (_fig(117),),
        ),
        Indicator(
            "people_trained_digital",
            {"es": "Personas capacitadas en competencias digitales",
             "en": "People trained in digital skills"},
            {"es": "personas", "en": "people"},
            3, "sum", (_fig(15_000, ">"),),
        ),
        Indicator(
            "people_trained_financial",
            {"es": "Personas capacitadas en educación financiera",
             "en": "People trained in financial literacy"},
            {"es": "personas", "en": "people"},
            3, "sum", (_fig(20_000, ">"),),
        ),
        Indicator(
            "enterprises_strengthened",
            {"es": "Emprendimientos fortalecidos", "en": "Rural enterprises strengthened"},
            {"es": "emprendimientos", "en": "enterprises"},
            3, "sum", (_fig(50, ">"),),
        ),
        Indicator(
            "local_gov_funds_usd",
            {"es": "Recursos adicionales para gobiernos locales",
             "en": "Additional funds for local governments"},
            {"es": "US$", "en": "US$"},
            1, "sum", (_fig(72_000_000),),
        ),
        Indicator(
            "private_investment_internet_usd",
            {"es": "Inversión privada en Internet", "en": "Private investment in internet"},
            {"es": "US$", "en": "US$"},
            3, "sum", (_fig(5_000_000, ">"),),
        ),
        Indicator(
            "coca_free_share",
            {"es": "Hectáreas ex-coca libres de coca",
             "en": "Former coca hectares still coca-free"},
            {"es": "%", "en": "%"},
            None, "weighted_mean", (_fig(90, ">"),),
            weight_indicator="hectares", max_value=100,
        ),
        Indicator(
            "income_change_pct",
            {"es": "Aumento de ingresos de pequeños agricultores",
             "en": "Smallholder income increase"},
            {"es": "%", "en": "%"},
            None, "weighted_mean", (_fig(97.5),),
            # A change, not a share: incomes can more than double, so values
            # above 100 are valid; above 200 (tripled) they are flagged to check.
            weight_indicator="families_supported", warn_above=200,
        ),
    ]
}


@dataclass(frozen=True)
class ValueChain:
    id: str
    label: dict[str, str]
    aliases: tuple[str, ...] = field(default_factory=tuple)


VALUE_CHAINS: dict[str, ValueChain] = {
    vc.id: vc
    for vc in [
        ValueChain("cacao", {"es": "Cacao", "en": "Cocoa"}, ("cocoa",)),
        ValueChain("cafe", {"es": "Café", "en": "Coffee"}, ("coffee",)),
        ValueChain("banano", {"es": "Banano", "en": "Banana"}, ("banana", "platano")),
        ValueChain("madera", {"es": "Madera", "en": "Timber"}, ("timber", "wood", "forestal")),
        ValueChain("otros", {"es": "Otros", "en": "Others"}, ("otro", "other", "others")),
    ]
}


@dataclass(frozen=True)
class Goal:
    number: int
    title: dict[str, str]
    text: dict[str, str]


GOALS: tuple[Goal, ...] = (
    Goal(
        1,
        {"es": "Fortalecer las instituciones públicas", "en": "Stronger public institutions"},
        {
            "es": "Fortalecer las capacidades institucionales de las entidades públicas "
            "nacionales y subnacionales que implementan la Política Nacional Antidrogas, "
            "consolidando espacios e instrumentos de coordinación político-estratégicos "
            "y operativos.",
            "en": "Strengthen the institutional capacities of national and subnational "
            "public entities that implement the National Anti-Drug Policy, consolidating "
            "political-strategic and operational coordination spaces and instruments.",
        },
    ),
    Goal(
        2,
        {"es": "Consolidar al sector privado", "en": "A stronger private sector"},
        {
            "es": "Consolidar al sector privado como motor de las cadenas de valor (cacao, "
            "café, banano, madera, entre otros), junto con los servicios del Estado, la "
            "infraestructura y la gobernabilidad local.",
            "en": "Consolidate the private sector as the driver of value chains (cacao, "
            "coffee, banana, timber, others), alongside state services, infrastructure "
            "and local governance.",
        },
    ),
    Goal(
        3,
        {"es": "Oportunidades económicas y de desarrollo",
         "en": "Economic and development opportunities"},
        {
            "es": "Generar oportunidades económicas y de desarrollo: agrosilvicultura "
            "sostenible, gobernanza local, desarrollo de capacidades, infraestructura, "
            "digitalización e inclusión digital y financiera.",
            "en": "Generate economic and development opportunities: sustainable "
            "agroforestry, local governance, capacity building, infrastructure, "
            "digitalisation, and digital and financial inclusion.",
        },
    ),
)


CONNECTION_TYPES: dict[str, dict[str, str]] = {
    "mobile": {"es": "4G móvil", "en": "4G mobile"},
    "fixed": {"es": "4G fijo", "en": "4G fixed"},
    "fixed_mobile": {"es": "4G fijo y móvil", "en": "4G fixed and mobile"},
}


def indicators_for_goal(goal: int | None) -> list[Indicator]:
    return [ind for ind in INDICATORS.values() if ind.goal == goal]
