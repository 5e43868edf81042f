"""Library, search and the document viewer."""
