"""What a failed public check shows: expected and got, as text cut short."""
import numpy as np
import pytest

from grader.scoring import SHORT, _short


def _whole(value) -> str:
    """The text rendered from all of the value, then cut: what _short must equal."""
    def lists(v):
        if hasattr(v, "tolist"):
            return v.tolist()
        return [lists(x) for x in v] if isinstance(v, list) else v
    text = repr(lists(value))
    return text if len(text) <= SHORT else text[:SHORT - 3] + "..."


RNG = np.random.default_rng(0)
VALUES = [
    np.float64(1.5), np.array(2.0), np.array([]), np.zeros((0, 5)), np.zeros((1000, 0)),
    RNG.normal(size=3), RNG.normal(size=200), RNG.normal(size=(61, 4)), RNG.normal(size=(61, 2)),
    RNG.normal(size=(5, 100, 3)), RNG.normal(size=(1, 500)), RNG.normal(size=(500, 1)),
    np.arange(1000), np.arange(1000).reshape(10, 100) % 3, np.ones(300, dtype=bool),
    RNG.normal(size=(2, 2)).astype(np.float32), np.full(400, np.nan), np.full((40, 7), -np.inf),
    (RNG.normal(size=400) + 1j).astype(complex),
    # leading rows whose text falls just short of the cut, then just past it
    np.full(100, 0.12345678901234), np.full((50, 2), 1 / 3), np.full(100, 1 / 7),
    [RNG.normal(size=(61, 4)), RNG.normal(size=4)], [np.arange(5), [np.arange(3), 2.5]],
    list(range(1000)), [[]] * 500, [np.zeros(0)] * 300, "an error message", None,
    {"$object": "Foo"}, 3, 2.25,
]


@pytest.mark.parametrize("value", VALUES, ids=[f"{i}-{type(v).__name__}" for i, v in enumerate(VALUES)])
def test_short_text_equals_the_whole_rendering_cut(value):
    assert _short(value) == _whole(value)


def test_a_long_path_is_cut_with_an_ellipsis():
    text = _short(np.linspace(0, 1, 61 * 4).reshape(61, 4))
    assert len(text) == SHORT and text.startswith("[[0.0, ") and text.endswith("...")
