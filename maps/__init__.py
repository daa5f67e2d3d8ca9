"""Folium maps of a city's parks: the builder, its Leaflet elements, the HTML fragments
(title, key figures, legend), the styles and the inlining of local assets.

May use the domain's vocabulary (:mod:`parks`) and :mod:`gis`; imports nothing of
:mod:`service`.
"""
