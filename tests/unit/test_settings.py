"""No database: the settings refuse a basemap that cannot work when the service starts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.settings import Settings


@pytest.mark.parametrize(
    "tile_url",
    [
        "/tiles/{z}/{x}/y}.png",  # the {y} placeholder lost its opening brace
        "/tiles/{z}/{x}/{yy}.png",
        "/tiles/{z}/{x}.png",
    ],
)
@pytest.mark.parametrize("basemap", ["custom", "tianditu"])
def test_a_tile_url_without_each_xyz_placeholder_is_refused(basemap: str, tile_url: str) -> None:
    with pytest.raises(ValidationError, match=r"\{z\}, \{x\} and \{y\}"):
        Settings(basemap=basemap, tile_url=tile_url)


def test_a_tile_url_with_z_x_and_y_is_accepted() -> None:
    settings = Settings(basemap="custom", tile_url="/tiles/{z}/{x}/{y}.png")
    assert settings.tile_url == "/tiles/{z}/{x}/{y}.png"
