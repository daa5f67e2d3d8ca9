"""Geometry helpers of the map's change-set editor: a parcel split by a drawn line, and a
drawn boundary snapped onto its standing neighbours. They store nothing: what they give
back goes into a change set (or a proposal) the official then submits."""
