"""Where the data shown comes from, said the same way on the page, on the map and in
every export: the fact sheet, the boundaries' attribution and licence, and whether the
data is the demo's (always labelled) or the user's own.

``DataShown`` is the one value that renderers and exports get for this, instead of
loose ``demo`` flags and year spans; ``credits(lang)`` turns it into words.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapapp.model.catalog import Lang
from mapapp.model.i18n import t

SOURCE_DOCUMENT = {
    "es": "USAID/Perú, hoja informativa «Desarrollo sostenible» (2018–2022)",
    "en": "USAID/Peru, fact sheet “Sustainable development” (2018–2022)",
}
BOUNDARIES_ATTRIBUTION = {
    "es": "Límites: INEI (2007), vía MINAM Geoservidor y juaneladio/peru-geojson (MPL-2.0); "
          "países vecinos: Natural Earth",
    "en": "Boundaries: INEI (2007), via MINAM Geoservidor and juaneladio/peru-geojson "
          "(MPL-2.0); neighbouring countries: Natural Earth",
}
LICENCE = "Boundaries: MPL-2.0 (INEI 2007 via juaneladio/peru-geojson); context: Natural Earth"
DEMO_LABEL = {
    "es": "Datos de demostración — distribución ilustrativa",
    "en": "Demo data — illustrative distribution",
}
USER_DATA_LABEL = {"es": "Datos del usuario", "en": "User data"}


@dataclass(frozen=True)
class Publication:
    """A published dataset version, as exports and slides cite it."""

    title: str
    slug: str
    version: int
    published: str  # ISO date (UTC) of the version's publication

    def text(self, lang: Lang) -> str:
        return t("publication", lang).format(title=self.title, slug=self.slug,
                                             version=self.version, date=self.published)


@dataclass(frozen=True)
class DataShown:
    """What a map or an export shows: the demo's data or the user's, and the years the
    data covers (``None`` for data without rows)."""

    demo: bool
    years: tuple[int, int] | None = None
    name: str = ""  # the user's file, as the page names it
    publication: Publication | None = None  # when the data is a published version

    def credits(self, lang: Lang) -> Credits:
        data = (DEMO_LABEL[lang] if self.demo else self.publication.text(lang)
                if self.publication else USER_DATA_LABEL[lang])
        return Credits(
            data=data, publication=self.publication.text(lang) if self.publication else None,
            source=SOURCE_DOCUMENT[lang], boundaries=BOUNDARIES_ATTRIBUTION[lang],
            licence=LICENCE, demo_label=DEMO_LABEL[lang] if self.demo else None,
            data_word=t("data", lang))


@dataclass(frozen=True)
class Credits:
    """The credits of a ``DataShown`` in one language."""

    data: str  # what the data is: the demo label, or "user data"
    source: str  # the fact sheet every figure comes from
    boundaries: str  # the boundaries' attribution
    licence: str
    demo_label: str | None  # shown wherever the data appears, when it is the demo's
    data_word: str  # "Datos" / "Data"
    publication: str | None = None  # the published version cited, when it is one

    @property
    def source_line(self) -> str:
        """``Datos: <fact sheet>`` (`` · <demo label>`` for the demo; ``<published
        version> · `` before the fact sheet for a published dataset)."""
        demo = f" · {self.demo_label}" if self.demo_label else ""
        return f"{self.data_source}{demo}"

    @property
    def data_source(self) -> str:
        published = f"{self.publication} · " if self.publication else ""
        return f"{self.data_word}: {published}{self.source}"

    @property
    def lines(self) -> tuple[str, str]:
        """The two lines under every map: the data's source, the boundaries'."""
        return self.source_line, self.boundaries

    @property
    def headline(self) -> str:
        """One line for a title slide or a footer: the demo label, or the source (after
        the published version cited)."""
        published = f"{self.publication} · " if self.publication else ""
        return self.demo_label or f"{published}{self.source}"

    @property
    def notes(self) -> str:
        """Everything, one per line, for a slide's notes."""
        return "\n".join([*([self.demo_label] if self.demo_label else []),
                          self.data_source, self.boundaries, self.licence])

    @property
    def fields(self) -> dict[str, str]:
        """Columns or properties that a data file carries."""
        return {"data": self.data, "source": self.source, "attribution": self.boundaries,
                "license": self.licence}
