"""Reading the current state: parks, parcels, buildings, projects and the key figures, and
the checks of the parameters that select them."""
