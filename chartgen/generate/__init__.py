"""chartgen.generate: see ARCHITECTURE.md."""
