"""Writes of the navigation app, one module per topic. Import from the module itself."""
