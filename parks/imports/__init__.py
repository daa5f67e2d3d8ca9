"""Bringing a surveyor's parcel file in: mapping its fields, translating its values,
judging its features and saying how it differs from the parcels as they stand."""
