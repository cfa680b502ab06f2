"""Companies: the businesses contacts work for."""
