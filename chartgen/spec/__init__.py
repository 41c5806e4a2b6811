"""chartgen.spec.loader: see ARCHITECTURE.md."""
