"""The Microsoft 365 Agents SDK edge (DEN_TEAMS_EDGE=agents): the only code that imports that SDK."""
