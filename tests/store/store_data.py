"""Small results and localities files for the store's tests, read as the app reads them."""

from __future__ import annotations

from mapapp.ingest.localities import read_localities
from mapapp.ingest.results import read_results
from mapapp.store import FileInfo

HEADER = "ubigeo,year,value_chain,indicator,value"
ROWS = ["220501,2020,cacao,hectares,10", "220501,2021,cafe,hectares,5.5",
        "22,2020,,families_supported,3", "xx,2020,cacao,hectares,1"]  # the last is rejected
LOCALITIES = (b"name,ubigeo,lat,lon,year,connection_type\n"
              b"Tarapoto,220901,-6.49,-76.37,2020,movil\nNowhere,999999,,,2020,fijo\n")


def results_file(extra: int = 0) -> tuple[bytes, str]:
    """The results CSV (``extra`` more valid rows make another file)."""
    rows = ROWS + [f"220501,2022,cacao,hectares,{n + 1}" for n in range(extra)]
    return "\n".join([HEADER, *rows]).encode(), f"results{extra}.csv"


def results(extra: int = 0):
    data, name = results_file(extra)
    return read_results(data, name), FileInfo.of(data, name)


def localities():
    return read_localities(LOCALITIES, "localities.csv"), FileInfo.of(LOCALITIES,
                                                                      "localities.csv")


def publish(store, slug: str = "demo", extra: int = 0, by: str = "ana", **options):
    report, file = results(extra)
    return store.publish(slug, options.pop("title", f"Title {slug}"), report, file, by=by,
                         **options)
