"""The view round-trips through the URL; bad parameters are ignored with a note."""

import pytest

from mapapp.model.view import View, years_within


@pytest.mark.parametrize("query, expected", [
    ({}, View()),
    ({"lang": "en"}, View(lang="en")),
    ({"level": "district", "indicator": "hectares", "chain": "cacao,cafe"},
     View(level="district", indicator="hectares", chains=("cacao", "cafe"))),
    ({"years": "2019-2021"}, View(years=(2019, 2021))),
    ({"years": "2020"}, View(years=(2020, 2020))),
    ({"dept": "22,10"}, View(depts=("22", "10"))),
    ({"level": "district", "prov": "2210"},
     View(level="district", depts=("22",), prov="2210")),
    ({"basemap": "none", "present": "1", "amazon": "true"},
     View(basemap="none", present=True, amazon=True)),
    ({"scheme": "natural_breaks", "k": "7", "palette": "YlOrBr", "measure": "per_km2"},
     View(scheme="natural_breaks", k=7, palette="YlOrBr", measure="per_km2")),
    ({"lang": ["es", "en"]}, View(lang="en")),  # repeated parameter: the last wins
    ({"utm_source": "mail"}, View()),  # not ours: left alone
])
def test_query_gives_the_view(query, expected):
    view, notes = View.from_query(query)
    assert view == expected and notes == []


@pytest.mark.parametrize("query, note", [
    ({"lang": "fr"}, "lang='fr': use one of es, en"),
    ({"level": "country"}, "level='country'"),
    ({"years": "2021-2019"}, "the first year is after the last"),
    ({"years": "last"}, "write a year or a range"),
    ({"dept": "22,7"}, "7 is not a 2-digit ubigeo"),
    ({"chain": "coca"}, "unknown value chain coca"),
    ({"k": "12"}, "k='12': use 3 to 7"),
    ({"present": "yes"}, "use 1 or 0"),
    ({"level": "province", "prov": "2210"}, "only for a district map"),
    ({"level": "district", "dept": "10", "prov": "2210"}, "only for a district map"),
])
def test_bad_parameters_are_ignored_with_a_note(query, note):
    view, notes = View.from_query(query)
    assert len(notes) == 1 and note in notes[0]
    assert view.prov is None


@pytest.mark.parametrize("view", [
    View(),
    View(lang="en", level="district", indicator="hectares", chains=("cacao",),
         years=(2019, 2020), depts=("22",), prov="2210", basemap="none", present=True),
    View(measure="share", scheme="equal_interval", k=3, palette="Greens", localities=False,
         labels=False, amazon=True),
    View(player=True, years=(2021, 2021)),
    View(compare=(2018, 2019, 2021, 2022), indicator="hectares"),
    View(compare=(2018, 2018, 2022, 2022)),
])
def test_to_query_round_trips(view):
    query = view.to_query()
    assert {"lang", "level", "indicator"} <= query.keys()
    assert View.from_query(query) == (view, [])


@pytest.mark.parametrize("start, code, expected", [
    (View(), "22", View(level="province", depts=("22",))),
    (View(level="province", depts=("22",)), "2210",
     View(level="district", depts=("22",), prov="2210")),
    (View(level="district", depts=("22",), prov="2210"), "221005",
     View(level="district", depts=("22",), prov="2210")),
])
def test_drill_down_goes_one_level_into_the_clicked_place(start, code, expected):
    assert start.drill_down(code) == expected


def test_breadcrumb_leads_back_up():
    view = View(level="district", depts=("22",), prov="2210", indicator="hectares")
    crumbs = view.breadcrumb()
    assert [code for code, _ in crumbs] == [None, "22", "2210"]
    assert crumbs[0][1] == View(indicator="hectares")
    assert crumbs[1][1] == View(level="province", depts=("22",), indicator="hectares")


@pytest.mark.parametrize("view, choropleth", [
    (View(), False), (View(measure="per_km2"), True), (View(measure="share"), True),
    (View(indicator="coca_free_share"), True), (View(indicator="income_change_pct"), True),
])
def test_counts_are_circles_and_rates_are_choropleths(view, choropleth):
    assert view.is_choropleth is choropleth


@pytest.mark.parametrize("view, kept", [
    (View(level="district", depts=("22",), prov="2201"), True),
    (View(level="province", depts=("22",), prov="2201"), False),  # moved up a level
    (View(level="district", depts=("10",), prov="2201"), False),  # another department
    (View(level="district", depts=("22", "10"), prov="2201"), False),
    (View(level="district", depts=(), prov="2201"), False),  # the department cleared
])
def test_one_rule_drops_a_drilled_down_province_once_the_view_leaves_it(view, kept):
    assert (view.settled().prov == "2201") is kept
    assert view.settled().settled() == view.settled()


def test_a_link_may_leave_out_the_provinces_department():
    view, notes = View.from_query({"level": "district", "prov": "2201"})
    assert view.prov == "2201" and view.depts == ("22",) and notes == []


@pytest.mark.parametrize("years, span, within", [
    ((2019, 2021), (2018, 2022), (2019, 2021)),
    ((2015, 2019), (2018, 2022), (2018, 2019)),
    ((2010, 2012), (2018, 2022), None),
    ((2022, 2030), (2018, 2022), (2022, 2022)),
])
def test_years_within_the_data(years, span, within):
    assert years_within(years, span) == within


@pytest.mark.parametrize("query, years, note", [
    ({"player": "1"}, (2018, 2018), None),  # the first year of the data
    ({"player": "1", "years": "2021"}, (2021, 2021), None),
    ({"player": "1", "years": "2020-2022"}, (2020, 2020), None),  # the range's first year
    ({"player": "1", "years": "2016-2019"}, (2018, 2018), None),  # clamped to the data
    ({"player": "1", "years": "2030"}, (2018, 2018), "the data covers 2018–2022"),
])
def test_the_year_player_shows_one_year_of_the_data(query, years, note):
    view, notes = View.from_query(query, (2018, 2022))
    assert view.player and view.years == years
    assert (notes[0] if notes else None) == (None if note is None else notes[0])
    assert note is None or note in notes[0]
    assert view.to_query()["years"] == str(years[0])


@pytest.mark.parametrize("text, compare, note", [
    ("2018-2019,2021-2022", (2018, 2019, 2021, 2022), None),
    ("2022,2018", (2022, 2022, 2018, 2018), None),  # B before A: a fall shows as a rise
    ("2016-2019,2021-2030", (2018, 2019, 2021, 2022), "comparing 2018-2019,2021-2022"),
    ("2019,2019", None, "the two periods are the same years"),
    ("2030,2031", None, "the data covers 2018–2022"),
    ("2019", None, "write two periods"),
    ("2019-2018,2021", None, "the first year is after the last"),
])
def test_compare_takes_two_periods_of_the_data(text, compare, note):
    view, notes = View.from_query({"compare": text, "player": "1"}, (2018, 2022))
    assert view.compare == compare
    assert (notes == []) if note is None else (len(notes) == 1 and note in notes[0])
    assert not view.player or compare is None  # comparing is not playing
