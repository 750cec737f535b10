from __future__ import annotations

from datetime import date, timedelta

from defusedxml.ElementTree import fromstring
from django.template import Context, Template

from config.charts import csp_safe_svg, heat_map_svg, trend_svg, without_links

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"


def _assert_csp_safe(svg: str) -> None:
    root = fromstring(svg)  # valid XML, no entities
    assert root.tag == f"{SVG}svg"
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        assert tag not in {"style", "script", "foreignObject", "image", "metadata"}
        assert "style" not in element.attrib
        assert not [name for name in element.attrib if name.startswith("on")]
        for name in ("href", XLINK):
            value = element.attrib.get(name)
            assert value is None or value.startswith("#") or value.startswith("/")
    assert "http://www.w3.org/2000/svg" in svg  # the namespace, not a resource
    assert "<!DOCTYPE" not in svg and "<?xml" not in svg


def _links(svg: str) -> list[str]:
    return [a.attrib[XLINK] for a in fromstring(svg).iter(f"{SVG}a") if XLINK in a.attrib]


def test_the_heat_map_is_valid_csp_safe_svg_with_one_link_per_linked_cell() -> None:
    svg = heat_map_svg(
        rows=["Colombia", "Panama"],
        columns=["Command and control", "Logistics"],
        values=[[10.0, None], [100.0, 55.5]],
        links=[["/checklists/1/", None], ["/checklists/2/", "/checklists/3/"]],
        title="Interoperability",
    )
    _assert_csp_safe(svg)
    assert sorted(_links(svg)) == ["/checklists/1/", "/checklists/2/", "/checklists/3/"]


def test_a_cell_not_assessed_is_hatched_and_the_legend_says_so() -> None:
    def hatched(svg: str) -> int:
        return sum(
            1 for e in fromstring(svg).iter() if e.attrib.get("fill", "").startswith("url(#")
        )

    # The legend's sample is hatched in both; the cell only when it is not assessed.
    not_assessed = heat_map_svg(rows=["Colombia"], columns=["Logistics"], values=[[None]])
    assessed = heat_map_svg(rows=["Colombia"], columns=["Logistics"], values=[[50.0]])
    assert (hatched(not_assessed), hatched(assessed)) == (2, 1)


def test_a_link_to_another_site_or_a_script_is_dropped() -> None:
    svg = heat_map_svg(
        rows=["A"],
        columns=["B", "C"],
        values=[[1.0, 2.0]],
        links=[["javascript:alert(1)", "https://example.org/"]],
    )
    assert _links(svg) == []
    assert "javascript" not in svg and "example.org" not in svg


def test_the_heat_map_scales_from_one_row_to_sixty() -> None:
    one = heat_map_svg(rows=["Only"], columns=["Area"], values=[[42.0]])
    many = heat_map_svg(
        rows=[f"Partner {i}" for i in range(60)],
        columns=[f"Area {j}" for j in range(6)],
        values=[[float((i * 7 + j) % 101) for j in range(6)] for i in range(60)],
        links=[[f"/p/{i}/{j}/" for j in range(6)] for i in range(60)],
    )
    _assert_csp_safe(one)
    _assert_csp_safe(many)
    assert len(_links(many)) == 360
    one_height = float(fromstring(one).attrib["viewBox"].split()[3])
    many_height = float(fromstring(many).attrib["viewBox"].split()[3])
    assert many_height > 10 * one_height


def test_the_same_data_draws_the_same_chart() -> None:
    def draw() -> str:
        return heat_map_svg(rows=["A"], columns=["B"], values=[[1.0]])

    assert draw() == draw()


def test_two_charts_on_one_page_share_no_id() -> None:
    first = fromstring(heat_map_svg(rows=["A"], columns=["B"], values=[[1.0]]))
    second = fromstring(heat_map_svg(rows=["A"], columns=["B"], values=[[2.0]]))
    ids = lambda root: {e.attrib["id"] for e in root.iter() if "id" in e.attrib}  # noqa: E731
    assert ids(first) and not ids(first) & ids(second)


def test_the_trend_draws_one_line_per_series_and_works_with_one_edition() -> None:
    dates = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(4)]
    svg = trend_svg(
        dates=dates,
        series={"Colombia": [40.0, None, 50.0, 60.0], "Panama": [10.0, 20.0, 30.0, 35.0]},
        title="Score",
        y_label="Score",
    )
    _assert_csp_safe(svg)
    # Text stays text (searchable, small) in the font WeasyPrint and the pages have.
    legend = [t for t in fromstring(svg).iter(f"{SVG}text") if t.text == "Colombia"]
    assert legend and "DejaVu Sans" in legend[0].attrib["font-family"]
    single = trend_svg(dates=[date(2026, 1, 5)], series={"Colombia": [40.0]})
    _assert_csp_safe(single)


def test_a_series_of_the_wrong_length_is_refused() -> None:
    try:
        trend_svg(dates=[date(2026, 1, 5)], series={"Colombia": [1.0, 2.0]})
    except ValueError as problem:
        assert "Colombia" in str(problem)
    else:
        raise AssertionError("a series longer than the dates was drawn")


def test_styles_become_presentation_attributes() -> None:
    raw = (
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><defs><style>'
        "*{stroke-linecap: butt}</style></defs>"
        '<path style="fill: #ff0000; stroke: #000000" onclick="x()" d="M 0 0"/>'
        "<script>alert(1)</script></svg>"
    )
    root = fromstring(csp_safe_svg(raw))
    path = next(root.iter(f"{SVG}path"))
    assert path.attrib["fill"] == "#ff0000" and path.attrib["stroke"] == "#000000"
    assert "onclick" not in path.attrib
    assert root.attrib["stroke-linecap"] == "butt"
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter(f"{SVG}style"))


def test_the_template_filter_puts_the_chart_in_the_page_unescaped() -> None:
    svg = heat_map_svg(rows=["A"], columns=["B"], values=[[1.0]])
    html = Template("{% load charts %}{{ svg|chart }}").render(Context({"svg": svg}))
    assert html.startswith("<svg")


def test_a_chart_without_links_keeps_its_cells_and_drops_every_link() -> None:
    svg = heat_map_svg(
        rows=["Colombia"], columns=["Logistics"], values=[[40.0]], links=[["/gap-reports/1/"]]
    )
    plain = without_links(svg)
    _assert_csp_safe(plain)
    assert "/gap-reports/1/" in svg and "/gap-reports/1/" not in plain
    assert plain.count("<path") == svg.count("<path")
