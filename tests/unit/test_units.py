"""Area units: 1 亩 = 10000/15 m² exactly, 1 ha = 10000 m² = 15 亩."""

from __future__ import annotations

from fractions import Fraction
from math import ulp

import pytest

from parks.units import (
    AREA_TOLERANCE_M2,
    M2_PER_HA,
    M2_PER_MU,
    m2_to_ha,
    m2_to_mu,
    mu_to_m2,
)


def test_one_mu_is_ten_thousand_fifteenths_of_a_square_metre():
    exact = Fraction(10000, 15)
    # The nearest double to 10000/15: off by less than one unit in the last place.
    assert abs(Fraction(M2_PER_MU) - exact) <= Fraction(ulp(M2_PER_MU)) / 2
    assert mu_to_m2(15) == pytest.approx(10000, rel=1e-15)
    assert mu_to_m2(1) == pytest.approx(666.6666666666667, rel=1e-15)


def test_one_hectare_is_ten_thousand_square_metres_and_fifteen_mu():
    assert M2_PER_HA == 10000
    assert m2_to_ha(10000) == 1
    assert m2_to_ha(12345.6) == pytest.approx(1.23456, rel=1e-15)
    assert m2_to_mu(M2_PER_HA) == pytest.approx(15, rel=1e-15)


@pytest.mark.parametrize("area_m2", [0.0, 0.01, 666.6666666666666, 1234.5678, 5_779_779.38, 1e9])
def test_m2_and_mu_convert_back_and_forth_without_loss(area_m2):
    assert mu_to_m2(m2_to_mu(area_m2)) == pytest.approx(area_m2, rel=1e-14, abs=1e-12)
    assert m2_to_mu(area_m2) == pytest.approx(area_m2 * 15 / 10000, rel=1e-14, abs=1e-15)


def test_the_area_tolerance_is_a_hundredth_of_a_square_metre():
    assert AREA_TOLERANCE_M2 == 0.01
