"""Who is asking: bearer tokens, their roles, and the principal a token stands for."""
