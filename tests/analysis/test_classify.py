"""Class breaks: deterministic, no data apart from zero, errors that name the value."""

import math

import numpy as np
import pytest

from mapapp.analysis.classify import NO_DATA_COLOR, ClassificationError, classify

VALUES = np.random.default_rng(7).lognormal(3, 1, 900)


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
@pytest.mark.parametrize("k", [3, 5, 7])
def test_classes_cover_the_values_with_k_colours(scheme, k):
    classes = classify(VALUES, scheme, k)
    assert len(classes.colors) == k and len(classes.bounds) == k + 1
    assert classes.bounds[0] == VALUES.min() and classes.bounds[-1] == VALUES.max()
    assert list(classes.bounds) == sorted(classes.bounds)
    indexes = [classes.class_of(v) for v in VALUES]
    assert set(indexes) <= set(range(k)) and 0 in indexes and k - 1 in indexes
    assert classify(VALUES, scheme, k) == classes  # same input, same map


def test_quantiles_put_equal_counts_in_classes():
    counts = np.bincount([classify(VALUES, "quantiles", 4).class_of(v) for v in VALUES])
    assert counts.min() >= 220 and counts.max() <= 230


def test_no_data_is_its_own_class_and_zero_is_data():
    classes = classify([0, 0, 5, 10, float("nan")], "quantiles", 3)
    assert classes.class_of(float("nan")) == -1 and classes.color_of(None) == NO_DATA_COLOR
    assert classes.class_of(0) == 0 and classes.color_of(0) != NO_DATA_COLOR


@pytest.mark.parametrize("values, colours", [([4, 4, 4], 1), ([1, 2], 2), ([], 0),
                                             ([math.nan], 0)])
def test_few_distinct_values_make_fewer_classes(values, colours):
    assert len(classify(values, "natural_breaks", 5).colors) == colours


@pytest.mark.parametrize("args, message", [
    ({"scheme": "jenks"}, "unknown scheme 'jenks'"),
    ({"k": 9}, "k=9 classes is outside 3–7"),
    ({"palette": "jet"}, "unknown palette 'jet'"),
])
def test_bad_options_are_named(args, message):
    with pytest.raises(ClassificationError, match=message):
        classify(VALUES, **args)


@pytest.mark.parametrize("k", [3, 4, 5, 6, 7])
def test_change_classes_are_centred_on_zero(k):
    from mapapp.analysis.classify import classify_change

    values = np.random.default_rng(k).normal(0, 100, 300)
    classes = classify_change(np.append(values, np.nan), k)
    bounds = np.array(classes.bounds)
    assert len(classes.colors) == k == len(bounds) - 1
    assert bounds == pytest.approx(-bounds[::-1])  # the same bounds on both sides
    assert bounds[-1] == pytest.approx(np.abs(values).max())
    middle = classes.colors[k // 2]
    assert (middle == "#f7f7f7") == (k % 2 == 1)  # odd: a neutral class around zero
    assert classes.colors[0] != classes.colors[-1]
    assert classes.class_of(-bounds[-1]) < classes.class_of(0) < classes.class_of(bounds[-1])


@pytest.mark.parametrize("values, bounds, colors", [
    ([0.0, 0.0], (0.0, 0.0), 1),  # nothing changed: one neutral class
    ([np.nan], (), 0),
    ([3.0, -3.0, 3.0], (-3.0, 3.0), 1),
])
def test_change_classes_of_few_values(values, bounds, colors):
    from mapapp.analysis.classify import classify_change

    classes = classify_change(values, 5)
    assert classes.bounds == bounds and len(classes.colors) == colors
