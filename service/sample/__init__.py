"""The synthetic sample of the parks: the generator and the parks it is made for (data in
``parks.toml``)."""
