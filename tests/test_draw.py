"""Pictures of computation graphs: valid PNG / SVG files, bad suffixes refused."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from nag import spaces
from nag.draw import draw, draw_arch
from nag.errors import ConfigError

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_png_is_valid_and_sized_to_the_graph(tmp_path):
    import matplotlib.image

    cell = spaces.get("nb201").to_graph(BEST, level="cell")
    path = draw(cell, tmp_path / "sub" / "cell.png", title="best cell")
    assert path == tmp_path / "sub" / "cell.png"
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    height, width, channels = matplotlib.image.imread(path).shape
    assert channels in (3, 4) and 200 <= height < width <= 5000  # wide: the layers run left to right
    assert [p.name for p in path.parent.iterdir()] == ["cell.png"]  # no temporary file left


def test_svg_holds_the_op_names(tmp_path):
    path = draw_arch("nbgraph", "0,0,1,2:gcn,gat,skip,fc", tmp_path / "gnn.svg")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = path.read_text()
    assert "nbgraph cell: 0,1,1,2:skip,gat,gcn,fc" in text  # the default title, canonical arch
    # matplotlib writes text as glyph paths; the labels survive as the ids' comments
    for op in ("gcn", "gat", "identity", "linear", "input", "output"):
        assert f"<!-- {op} -->" in text


def test_network_level_drawing(tmp_path):
    import matplotlib.image

    path = draw_arch(spaces.get("nb201"), BEST, tmp_path / "net.png", level="network", title="")
    height, width, _ = matplotlib.image.imread(path).shape
    assert width > 2000 and height > 100


@pytest.mark.parametrize("name", ["cell.jpg", "cell", "cell.pdf"])
def test_other_suffixes_are_refused(tmp_path, name):
    with pytest.raises(ConfigError, match=r"must end in \.png or \.svg"):
        draw(spaces.get("nb201").to_graph(BEST), tmp_path / name)
    assert not list(tmp_path.iterdir())


def test_unknown_level_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no graph level"):
        draw_arch("nb201", BEST, tmp_path / "x.png", level="stage")


def test_missing_matplotlib_says_how_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ConfigError, match=r"pictures need matplotlib: pip install 'nag\[plots\]'"):
        draw(spaces.get("nb201").to_graph(BEST), tmp_path / "cell.png")
