"""The bundled demo area and the local server that plays Overpass and Nominatim for it."""
