"""Reading a notebook never raises anything but Unreadable, whatever its JSON holds,
and what it returns has the types the pipeline relies on."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.notebooks import MAX_CONTAINERS, Notebook, Unreadable, read_notebook, structure

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)


def base(cells=None, metadata=None):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata if metadata is not None else {},
            "cells": cells if cells is not None else []}


def code_cell(source="x = 1", **extra):
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": [],
            "execution_count": None, "id": "c1", **extra}


def check(notebook: dict | bytes):
    content = notebook if isinstance(notebook, bytes) else json.dumps(notebook).encode()
    try:
        nb = read_notebook(content)
    except Unreadable as exc:
        assert str(exc) and "\n" not in str(exc)
        return None
    assert isinstance(nb, Notebook)
    assert all(isinstance(c, str) for c in nb.cells)
    assert nb.assignment is None or isinstance(nb.assignment, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in nb.answers.items())
    return nb


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_notebook_metadata(value):
    check(base(metadata={"grader": value}))
    check(base(metadata={"grader": {"assignment": value, "version": value}}))
    check(base(metadata=value))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["source", "metadata", "cell_type", "attachments", "outputs", "id",
                        "execution_count"]), json_values)
def test_any_value_in_any_cell_field(field, value):
    check(base([code_cell(**{field: value})]))
    markdown = {"cell_type": "markdown", "source": "answer", "metadata": {"grader": {"answer": "w1"}},
                "id": "m1"}
    check(base([{**markdown, field: value}]))
    check(base([{**markdown, "metadata": {"grader": value}}]))


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_any_json_at_all(value):
    check(value)
    check({"nbformat": value, "cells": value, "metadata": value})


@pytest.mark.parametrize("depth", [100, 990, 1000, 100_000])
def test_nesting_of_any_depth(depth):
    deep = ("[" * depth + "]" * depth).encode()
    assert check(deep) is None
    nested = b'{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {"grader": ' \
        + deep + b"}}"
    check(nested)
    if depth >= 1000:
        with pytest.raises(Unreadable, match="nested too deeply|too large"):
            read_notebook(nested)


@pytest.mark.parametrize("cell,wanted", [
    ({"cell_type": "sql", "source": "select 1", "metadata": {}}, "not a valid notebook"),
    ({"cell_type": "markdown", "source": "x", "metadata": {}, "attachments": [1, 2]}, "not a valid notebook"),
    ({"cell_type": "markdown", "source": "x", "metadata": {},
      "attachments": {"a.png": {"image/png": 7}}}, "not a valid notebook"),
    (code_cell(source=42), "not a valid notebook"),
    (code_cell(source=["a", 1]), "not a valid notebook"),
])
def test_cells_nbformat_does_not_expect_are_unreadable_with_a_reason(cell, wanted):
    with pytest.raises(Unreadable, match=wanted):
        read_notebook(json.dumps(base([cell])).encode())


def test_wrong_types_in_grader_metadata_are_ignored_not_fatal():
    nb = check(base([code_cell(), {"cell_type": "markdown", "source": "x", "id": "m",
                                   "metadata": {"grader": {"answer": {"x": 1}}}}],
                    metadata={"grader": {"assignment": {"id": "a7"}, "version": 7}}))
    assert nb.cells == ["x = 1"] and nb.assignment is None and nb.answers == {}
    nb = check(base(metadata={"grader": ["a7_optimizers"]}))
    assert nb.assignment is None


def test_a_huge_source_is_read():
    nb = check(base([code_cell(source="x = 1\n" * 2_000_000)]))
    assert len(nb.cells[0]) == 12_000_000


def containers_and_commas(value):
    if not isinstance(value, (dict, list)):
        return 0, 0
    inner = [containers_and_commas(v) for v in (value.values() if isinstance(value, dict) else value)]
    return 1 + sum(c for c, _ in inner), max(len(value) - 1, 0) + sum(k for _, k in inner)


tricky_text = st.text(alphabet=st.sampled_from('ab"\\{}[],:\n\u00e9'), max_size=12)
tricky_json = st.recursive(st.none() | st.integers() | tricky_text,
                           lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(tricky_text, inner, max_size=4), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(tricky_json, st.booleans(), st.booleans())
def test_the_shape_is_counted_outside_strings_exactly(value, ascii_only, indent):
    """Quotes, backslashes, brackets and commas inside strings never count."""
    text = json.dumps(value, ensure_ascii=ascii_only, indent=1 if indent else None).encode()
    containers, commas = containers_and_commas(value)
    assert structure(text) == (containers, containers + commas)


def test_a_file_of_tiny_objects_is_refused_before_parsing():
    import tracemalloc
    n = (16 * 2**20 - 100) // 3
    data = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [' + b",".join([b"{}"] * n) + b"]}"
    tracemalloc.start()
    try:
        with pytest.raises(Unreadable, match="too large.*clear the outputs"):
            read_notebook(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20, peak  # parsing it took 3 GB


def test_brackets_and_quotes_inside_strings_do_not_count():
    source = '{[,\\"' * (MAX_CONTAINERS + 10)
    nb = check(base([code_cell(source=source)]))
    assert nb.cells == [source]
