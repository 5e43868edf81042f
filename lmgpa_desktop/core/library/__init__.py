"""The library: importing sources, splitting them into passages, indexing and searching them."""
