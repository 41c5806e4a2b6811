"""chartgen.core: see ARCHITECTURE.md."""
