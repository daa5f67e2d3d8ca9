"""Area units. Official areas are planar square metres in the storage CRS (EPSG:4545 by
default); 亩 (mu) and hectares are shown beside them.

1 亩 = 10000/15 m² exactly, so 1 ha = 15 亩.
"""

from __future__ import annotations

M2_PER_MU: float = 10000.0 / 15.0
M2_PER_HA: float = 10000.0

#: Losses smaller than this (m²) are floating-point noise, not land: the rule and the
#: reconciliation both compare with this tolerance.
AREA_TOLERANCE_M2: float = 0.01

#: Parcels no farther apart than this (m) touch: a merge joins parcels that touch, and a
#: boundary redrawn to the centimetre leaves hairline gaps of this order between neighbours.
TOUCH_TOLERANCE_M: float = 0.01


def m2_to_mu(area_m2: float) -> float:
    """Square metres to 亩 (mu)."""
    return area_m2 / M2_PER_MU


def mu_to_m2(area_mu: float) -> float:
    """亩 (mu) to square metres."""
    return area_mu * M2_PER_MU


def m2_to_ha(area_m2: float) -> float:
    """Square metres to hectares."""
    return area_m2 / M2_PER_HA
