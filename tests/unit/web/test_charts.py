"""The server-rendered SVG bar chart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from web.charts import Bar, bar_chart, percent

SVG = "{http://www.w3.org/2000/svg}"


def _widths(svg: str) -> list[float]:
    root = ET.fromstring(svg)
    return [float(r.attrib["width"]) for r in root.iter(f"{SVG}rect")]


def test_bars_are_scaled_to_the_maximum_and_labelled_for_screen_readers() -> None:
    svg = str(bar_chart("Reviews complete", [Bar("Oak", 50), Bar("Ash", 100)], maximum=100))
    root = ET.fromstring(svg)
    assert root.attrib["role"] == "img"
    assert root.find(f"{SVG}title").text == "Reviews complete"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Oak: 50; Ash: 100"  # type: ignore[union-attr]
    assert _widths(svg) == [150.0, 300.0]


def test_without_a_maximum_the_largest_bar_fills_the_width() -> None:
    assert _widths(str(bar_chart("t", [Bar("a", 2), Bar("b", 4)]))) == [150.0, 300.0]


def test_values_are_clamped_and_an_empty_chart_still_renders() -> None:
    assert _widths(str(bar_chart("t", [Bar("a", -3), Bar("b", 250)], maximum=100))) == [0, 300]
    empty = str(bar_chart("Nothing yet", []))
    assert "no data" in empty
    ET.fromstring(empty)


def test_labels_are_escaped() -> None:
    svg = str(bar_chart("<b>", [Bar("St Mary & St John <Primary>", 1, display="1/2")]))
    ET.fromstring(svg)  # well-formed
    assert "<Primary>" not in svg
    assert re.search(r"St Mary &amp; St John &lt;Primary&gt;", svg)
    assert ">1/2<" in svg


def test_percent_of_nothing_is_zero() -> None:
    assert percent(1, 0) == 0.0
    assert percent(1, 3) == 33.3
