"""The directory of States, focal points and authorities: seed data and imports."""
