"""chartgen.helm.runner: see ARCHITECTURE.md."""
